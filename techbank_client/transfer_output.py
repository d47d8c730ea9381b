"""How the `techbank` command shows a transfer and a balance as of a moment: as blocks of
`name  value` lines for people (like `accounts get`), or as one JSON object."""

from typing import Any

from techbank_client.models import BalanceAsOf, Transfer, TransferStatus
from techbank_client.output import money, shown, timestamp


def transfer_json(transfer: Transfer) -> dict[str, Any]:
    return {
        "transfer_id": transfer.transfer_id,
        "source_account_id": transfer.source_account_id,
        "target_account_id": transfer.target_account_id,
        "amount_cents": transfer.amount_cents,
        "reference": transfer.reference,
        "status": str(transfer.status),
        "refusal_reason": transfer.refusal_reason,
        "refusal_message": transfer.refusal_message,
        "refunded": transfer.refunded,
        "version": transfer.version,
    }


def transfer_block(transfer: Transfer) -> str:
    """Every line has a value: an empty reference, and the refusal's lines of a transfer
    not refused, are left out."""
    fields: dict[str, object] = {
        "transfer": transfer.transfer_id,
        "from": transfer.source_account_id,
        "to": transfer.target_account_id,
        "amount": money(transfer.amount_cents),
    }
    if transfer.reference:
        fields["reference"] = shown(transfer.reference)
    fields["status"] = transfer.status
    if transfer.status is TransferStatus.REFUSED:
        fields["refusal"] = shown(f"{transfer.refusal_reason}: {transfer.refusal_message}")
        fields["refunded"] = "yes" if transfer.refunded else "no"
    fields["version"] = transfer.version
    return "\n".join(f"{name:<9}  {value}" for name, value in fields.items())


def balance_json(balance: BalanceAsOf) -> dict[str, Any]:
    return {
        "account_id": balance.account_id,
        "as_of": timestamp(balance.as_of),
        "balance_cents": balance.balance_cents,
        "status": str(balance.status),
        "version": balance.version,
    }


def balance_block(balance: BalanceAsOf) -> str:
    fields = {
        "account": balance.account_id,
        "as-of": timestamp(balance.as_of),
        "balance": money(balance.balance_cents),
        "status": balance.status,
        "version": balance.version,
    }
    return "\n".join(f"{name:<8}  {value}" for name, value in fields.items())
