// Techbank from Node, with the protos loaded at run time (no generated code):
//   node example.mjs COMMAND_ADDRESS QUERY_ADDRESS
// Opens an account, deposits, withdraws with a stale expected_version (refused ABORTED,
// reason VERSION_MISMATCH), reads its own write, and streams every account. Prints one
// JSON object per step; exits non-zero on anything unexpected.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import googleProtoFiles from 'google-proto-files';

const here = path.dirname(fileURLToPath(import.meta.url));
const TIMEOUT_MS = 10_000;
const DEPOSIT_CENTS = '12345';

const definitions = protoLoader.loadSync(
  [
    'techbank/account/v1/commands.proto',
    'techbank/account/v1/queries.proto',
    'google/rpc/status.proto',
    'google/rpc/error_details.proto',
  ],
  {
    // protos/ for Techbank's files, google-proto-files for google/rpc/*.proto.
    includeDirs: [
      path.join(here, '..', '..', 'protos'),
      path.dirname(googleProtoFiles.getProtoPath()),
    ],
    keepCase: true, // account_id, as in the protos (and in grpcurl's JSON)
    longs: String, // int64 cents and versions exceed a JS number's exact range
    enums: String,
    defaults: true,
    oneofs: true,
  },
);
const loaded = grpc.loadPackageDefinition(definitions);
const { AccountCommandService, AccountQueryService } = loaded.techbank.account.v1;

function fail(message) {
  console.error(`example.mjs: ${message}`);
  process.exit(1);
}

function expect(condition, message) {
  if (!condition) fail(message);
}

function say(line) {
  console.log(JSON.stringify(line));
}

function call(client, method, request) {
  const deadline = new Date(Date.now() + TIMEOUT_MS);
  return new Promise((resolve, reject) => {
    client[method](request, { deadline }, (error, response) =>
      error ? reject(error) : resolve(response),
    );
  });
}

// Every Techbank refusal carries a google.rpc.Status in this trailer, whose details hold
// a google.rpc.ErrorInfo: its reason is what a program branches on.
function errorInfoOf(error) {
  const [bytes] = error.metadata?.get('grpc-status-details-bin') ?? [];
  expect(bytes, `no grpc-status-details-bin with ${error.code}: ${error.details}`);
  const status = definitions['google.rpc.Status'].deserialize(bytes);
  const info = status.details.find(
    (any) => any.type_url === 'type.googleapis.com/google.rpc.ErrorInfo',
  );
  expect(info, `no ErrorInfo in ${JSON.stringify(status)}`);
  return definitions['google.rpc.ErrorInfo'].deserialize(info.value);
}

async function staleWithdrawal(commands, accountId, staleVersion) {
  const request = {
    account_id: accountId,
    amount_cents: '1',
    expected_version: staleVersion,
    request_id: randomUUID(),
  };
  try {
    await call(commands, 'WithdrawFunds', request);
  } catch (error) {
    return { code: error.code, info: errorInfoOf(error) };
  }
  return fail('a withdrawal with a stale expected_version was accepted');
}

async function countAll(queries, accountId) {
  const deadline = new Date(Date.now() + 60_000);
  const stream = queries.FindAllAccounts({ page_size: 2 }, { deadline });
  let count = 0;
  let pages = 0;
  let sawOurs = false;
  let lastToken = null;
  for await (const page of stream) {
    pages += 1;
    count += page.accounts.length;
    sawOurs ||= page.accounts.some((account) => account.account_id === accountId);
    lastToken = page.next_page_token;
  }
  expect(lastToken === '', `the last page's next_page_token is ${JSON.stringify(lastToken)}`);
  return { count, pages, sawOurs };
}

async function main([commandAddress, queryAddress]) {
  expect(commandAddress && queryAddress, 'usage: node example.mjs COMMAND_ADDRESS QUERY_ADDRESS');
  const insecure = grpc.credentials.createInsecure();
  const commands = new AccountCommandService(commandAddress, insecure);
  const queries = new AccountQueryService(queryAddress, insecure);

  const opened = await call(commands, 'OpenAccount', {
    holder: 'Node Example',
    account_type: 'ACCOUNT_TYPE_SAVINGS',
    request_id: randomUUID(),
  });
  expect(opened.version === '1', `OpenAccount answered version ${opened.version}`);
  say({ step: 'open', accountId: opened.account_id, version: opened.version });

  const deposited = await call(commands, 'DepositFunds', {
    account_id: opened.account_id,
    amount_cents: DEPOSIT_CENTS,
    request_id: randomUUID(),
  });
  expect(deposited.version === '2', `DepositFunds answered version ${deposited.version}`);
  say({ step: 'deposit', amountCents: DEPOSIT_CENTS, version: deposited.version });

  const stale = await staleWithdrawal(commands, opened.account_id, opened.version);
  expect(stale.code === grpc.status.ABORTED, `a stale withdrawal's code is ${stale.code}`);
  expect(stale.info.reason === 'VERSION_MISMATCH', `its reason is ${stale.info.reason}`);
  say({ step: 'stale', code: stale.code, reason: stale.info.reason, domain: stale.info.domain });

  const found = await call(queries, 'FindAccountById', {
    account_id: opened.account_id,
    min_version: deposited.version,
  });
  const { account } = found;
  expect(account.balance_cents === DEPOSIT_CENTS, `the balance read is ${account.balance_cents}`);
  say({
    step: 'read',
    accountId: account.account_id,
    balanceCents: account.balance_cents,
    version: account.version,
  });

  const all = await countAll(queries, opened.account_id);
  expect(all.sawOurs, 'FindAllAccounts did not stream the account opened');
  say({ step: 'all', count: all.count, pages: all.pages, sawOurs: all.sawOurs });

  commands.close();
  queries.close();
}

main(process.argv.slice(2)).catch((error) =>
  fail(error.code === undefined ? error.stack : `code ${error.code}: ${error.details}`),
);
