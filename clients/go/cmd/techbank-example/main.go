// Command techbank-example is Techbank from Go, with the code generated from protos/:
//
//	techbank-example COMMAND_ADDRESS QUERY_ADDRESS
//
// It opens an account, deposits, withdraws with a stale expected_version (refused
// ABORTED, reason VERSION_MISMATCH), reads its own write, and streams every account.
// It prints one JSON object per step and exits non-zero on anything unexpected.
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	accountv1 "github.com/techbank/techbank/gen/go/techbank/account/v1"
)

const (
	callTimeout  = 10 * time.Second
	depositCents = 12345
)

type clients struct {
	commands accountv1.AccountCommandServiceClient
	queries  accountv1.AccountQueryServiceClient
}

func main() {
	if len(os.Args) != 3 {
		fail(errors.New("usage: techbank-example COMMAND_ADDRESS QUERY_ADDRESS"))
	}
	if err := connectAndRun(os.Args[1], os.Args[2]); err != nil {
		fail(err)
	}
}

func connectAndRun(commandAddress, queryAddress string) error {
	plaintext := grpc.WithTransportCredentials(insecure.NewCredentials())
	commandConn, err := grpc.NewClient(commandAddress, plaintext)
	if err != nil {
		return err
	}
	defer commandConn.Close()
	queryConn, err := grpc.NewClient(queryAddress, plaintext)
	if err != nil {
		return err
	}
	defer queryConn.Close()
	return run(clients{
		accountv1.NewAccountCommandServiceClient(commandConn),
		accountv1.NewAccountQueryServiceClient(queryConn),
	})
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "techbank-example: %v\n", err)
	os.Exit(1)
}

// say prints one step; `json:",string"` writes int64s as strings, as protobuf's JSON does.
func say(step any) {
	line, err := json.Marshal(step)
	if err != nil {
		fail(err)
	}
	fmt.Println(string(line))
}

func run(c clients) error {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	opened, err := openAccount(ctx, c)
	if err != nil {
		return err
	}
	version, err := deposit(ctx, c, opened.GetAccountId())
	if err != nil {
		return err
	}
	if err := staleWithdrawal(ctx, c, opened); err != nil {
		return err
	}
	if err := readOwnWrite(ctx, c, opened.GetAccountId(), version); err != nil {
		return err
	}
	return streamAll(c, opened.GetAccountId())
}

func openAccount(ctx context.Context, c clients) (*accountv1.OpenAccountResponse, error) {
	opened, err := c.commands.OpenAccount(ctx, &accountv1.OpenAccountRequest{
		Holder:      "Go Example",
		AccountType: accountv1.AccountType_ACCOUNT_TYPE_SAVINGS,
		RequestId:   rand.Text(),
	})
	if err != nil || opened.GetVersion() != 1 {
		return nil, fmt.Errorf("OpenAccount answered %v, %v", opened, err)
	}
	say(struct {
		Step      string `json:"step"`
		AccountID string `json:"accountId"`
		Version   int64  `json:"version,string"`
	}{"open", opened.GetAccountId(), opened.GetVersion()})
	return opened, nil
}

// deposit answers the account's version after it, to read that write back.
func deposit(ctx context.Context, c clients, accountID string) (int64, error) {
	deposited, err := c.commands.DepositFunds(ctx, &accountv1.DepositFundsRequest{
		AccountId: accountID, AmountCents: depositCents, RequestId: rand.Text(),
	})
	if err != nil || deposited.GetVersion() != 2 {
		return 0, fmt.Errorf("DepositFunds answered %v, %v", deposited, err)
	}
	say(struct {
		Step        string `json:"step"`
		AmountCents int64  `json:"amountCents,string"`
		Version     int64  `json:"version,string"`
	}{"deposit", depositCents, deposited.GetVersion()})
	return deposited.GetVersion(), nil
}

func staleWithdrawal(ctx context.Context, c clients, opened *accountv1.OpenAccountResponse) error {
	_, err := c.commands.WithdrawFunds(ctx, &accountv1.WithdrawFundsRequest{
		AccountId:       opened.GetAccountId(),
		AmountCents:     1,
		ExpectedVersion: proto.Int64(opened.GetVersion()),
		RequestId:       rand.Text(),
	})
	if err == nil {
		return errors.New("a withdrawal with a stale expected_version was accepted")
	}
	refusal := status.Convert(err)
	info := errorInfo(refusal)
	if refusal.Code() != codes.Aborted || info.GetReason() != "VERSION_MISMATCH" {
		return fmt.Errorf("a stale withdrawal was refused with %v, %v", refusal.Code(), info)
	}
	say(struct {
		Step   string `json:"step"`
		Code   uint32 `json:"code"`
		Reason string `json:"reason"`
		Domain string `json:"domain"`
	}{"stale", uint32(refusal.Code()), info.GetReason(), info.GetDomain()})
	return nil
}

// errorInfo is the google.rpc.ErrorInfo among the details of the google.rpc.Status that
// every Techbank refusal carries (nil if there is none).
func errorInfo(refusal *status.Status) *errdetails.ErrorInfo {
	for _, detail := range refusal.Details() {
		if info, ok := detail.(*errdetails.ErrorInfo); ok {
			return info
		}
	}
	return nil
}

func readOwnWrite(ctx context.Context, c clients, accountID string, version int64) error {
	found, err := c.queries.FindAccountById(ctx, &accountv1.FindAccountByIdRequest{
		AccountId: accountID, MinVersion: proto.Int64(version),
	})
	account := found.GetAccount()
	if err != nil || account.GetBalanceCents() != depositCents {
		return fmt.Errorf("FindAccountById answered %v, %v", found, err)
	}
	say(struct {
		Step         string `json:"step"`
		AccountID    string `json:"accountId"`
		BalanceCents int64  `json:"balanceCents,string"`
		Version      int64  `json:"version,string"`
	}{"read", account.GetAccountId(), account.GetBalanceCents(), account.GetVersion()})
	return nil
}

func streamAll(c clients, accountID string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stream, err := c.queries.FindAllAccounts(ctx, &accountv1.FindAllAccountsRequest{PageSize: 2})
	if err != nil {
		return err
	}
	count, pages, sawOurs, lastToken := 0, 0, false, "none"
	for {
		page, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return fmt.Errorf("FindAllAccounts: %w", err)
		}
		pages, count, lastToken = pages+1, count+len(page.GetAccounts()), page.GetNextPageToken()
		for _, account := range page.GetAccounts() {
			sawOurs = sawOurs || account.GetAccountId() == accountID
		}
	}
	if lastToken != "" || !sawOurs {
		return fmt.Errorf("FindAllAccounts ended with token %q, saw ours: %v", lastToken, sawOurs)
	}
	say(struct {
		Step    string `json:"step"`
		Count   int    `json:"count"`
		Pages   int    `json:"pages"`
		SawOurs bool   `json:"sawOurs"`
	}{"all", count, pages, sawOurs})
	return nil
}
