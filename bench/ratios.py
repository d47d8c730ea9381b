"""Techbank's figures as ratios to the reference legs of the same run, with the targets.

The targets are issue 8's: per path, a ratio to the bare echo of the same run, and for
the reads, 1.5 times what the Java/Spring project Techbank reimplements measured on this
machine (the issue's figures: the Java project is not built here).
"""

from bench.results import Config, Figures, Results

SCENARIO = "Ratios, this run"
# The Java project, 16 clients, same servers, same machine (issue 8's table).
JAVA = {"lookup": 1_517.0, "scan, 16 client(s)": 277_000.0, "deposit": 71.0, "hot": 17.0}
JAVA_READ_TARGET = 1.5


def ratio_rows(figures: Figures, cfg: Config) -> Results:
    echo = figures.get("echo", 0.0)
    rows: Results = {}
    for leg, label, target in (
        ("deposit", f"DepositFunds, {cfg.deposit_accounts} accounts", 0.5),
        ("hot", "WithdrawFunds, one hot account", 0.3),
        # Four dependent writes: a quarter of a deposit's ratio, as its own target.
        ("transfer", "TransferFunds, a ring of accounts", 0.1),
        ("lookup", "FindAccountById", 0.7),
    ):
        rows[SCENARIO, f"{label} ÷ echo (target ≥ {target}x)"] = _ratio(figures, leg, echo, target)
    rows[SCENARIO, "FindAllAccounts, 1 client: accounts per echo call (target ≥ 100)"] = _ratio(
        figures, "scan, 1 client(s)", echo, 100, unit=""
    )
    for leg, label in (("lookup", "FindAccountById"), ("scan, 16 client(s)", "FindAll, 16")):
        rows[SCENARIO, f"{label} ÷ the Java project's {JAVA[leg]:,.0f}/s (target ≥ 1.5x)"] = _ratio(
            figures, leg, JAVA[leg], JAVA_READ_TARGET
        )
    rows[SCENARIO, "CPU per DepositFunds (command server) ÷ per echo call (echo server)"] = (
        _cpu_ratio(figures)
    )
    for leg, raw, label in (
        ("deposit", "raw append", "DepositFunds ÷ raw store append"),
        ("lookup", "raw lookup", "FindAccountById ÷ raw lookup"),
        ("scan, 1 client(s)", "raw scan", "FindAll, 1 client ÷ raw full scan"),
        ("scan, 1 client(s)", "echo stream, 1 client(s)", "FindAll, 1 client ÷ echo stream"),
    ):
        rows[SCENARIO, label] = _ratio(figures, leg, figures.get(raw, 0.0), None)
    return rows


def _ratio(figures: Figures, leg: str, base: float, target: float | None, unit: str = "x") -> str:
    if leg not in figures or not base:
        return "-"
    value = figures[leg] / base
    text = f"{value:,.2f}{unit}" if value < 10 else f"{value:,.0f}{unit}"
    if target is None:
        return text
    return f"{text} {'✓' if value >= target else '✗ below target'}"


def _cpu_ratio(figures: Figures) -> str:
    """The command server's CPU time per deposit against the echo server's per call: a
    figure the machine's noise moves less than a rate (both are CPU, not waiting)."""
    deposit, echo = figures.get("deposit cpu ms"), figures.get("echo cpu ms")
    if not deposit or not echo:
        return "-"
    return f"{deposit / echo:,.1f}x ({deposit:.2f} ms ÷ {echo:.3f} ms)"
