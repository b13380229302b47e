// The WebSocket API (GET /v1/ws) end to end with a client nobody on the
// project wrote: the `ws` package from npm against a real `ballast serve`.
//
//   node tests/ws_node/ws_e2e.mjs [path/to/ballast]   (or BALLAST_BINARY=...)
//
// The script starts the server itself on a free port with a fresh data
// directory and a configuration written here (signature checks off, so a
// signed body carries "signature":"0x"), seeds it over REST (oracle price,
// bridge deposits, an LP's vault deposit), then subscribes to a market's
// trades and ticker and to two traders' channels and trades over REST and
// over the socket ("op":"post"). It checks what a client is promised:
// acknowledgements with their ids, a snapshot numbered 0, then every
// message numbered 1, 2, ... per channel without gaps; each trade carries the
// sequence number and the price of the reply to the order that made it, the
// trader's channel shows the deposit and the fills; the admin channel is
// refused without the token and served with it; malformed input is answered
// and the connection stays. Last, SIGTERM closes every socket with 1001 and
// stops the server with status 0.
// Any failed check exits 1 with the reason and the end of the server's log.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
let WebSocket;
try {
  WebSocket = require('ws');
} catch {
  console.error(`ws_e2e: the ws package is not installed: run \`npm ci\` in ${here} (scripts/test.sh does this)`);
  process.exit(1);
}

const started = Date.now();
const binary = process.argv[2] || process.env.BALLAST_BINARY;
if (!binary || !fs.existsSync(binary)) {
  console.error(`ws_e2e: no ballast binary (give its path as the argument or in BALLAST_BINARY): ${binary ?? 'none'}`);
  process.exit(1);
}

const PAIR = 'BTC-PERP';
const ORACLE_PRICE = '60000';
const NEXT_ORACLE_PRICE = '60100';
const TOKENS = { admin: 'ws-node-admin', oracle: 'ws-node-oracle', bridge: 'ws-node-bridge' };
const LP = '0x00000000000000000000000000000000000001a9';
const ALICE = '0x00000000000000000000000000000000000a11ce';
const BOB = '0x0000000000000000000000000000000000000b0b';
const WAIT_MS = 5_000; // longest wait for any one reply or message
const WATCHDOG_MS = 60_000; // the whole run (normally ~1 s)

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ballast-ws-node-'));
const logPath = path.join(dir, 'server.log');
let server = null;
let serverExit = null; // {code, signal} once it has exited
const sockets = [];

function logTail() {
  try {
    const text = fs.readFileSync(logPath, 'utf8');
    return text.split('\n').slice(-30).join('\n');
  } catch {
    return '(no server log)';
  }
}

function fail(error) {
  const message = error && error.stack ? error.stack : String(error);
  console.error(`ws_e2e: FAILED: ${message}`);
  console.error(`--- end of the server log (${logPath}) ---\n${logTail()}`);
  for (const ws of sockets) ws.terminate();
  if (server && serverExit === null) server.kill('SIGKILL');
  console.error(`ws_e2e: kept ${dir} for inspection`);
  process.exit(1);
}
process.on('unhandledRejection', fail);
process.on('uncaughtException', fail);
setTimeout(() => fail(new Error(`the run took over ${WATCHDOG_MS} ms`)), WATCHDOG_MS).unref();

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- the server

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const configPath = path.join(dir, 'ballast.toml');
fs.writeFileSync(
  configPath,
  `listen = "127.0.0.1:${port}"
data_dir = "${path.join(dir, 'data')}"
http_threads = 2

[journal]
fsync = "batch"

[eip712]
verify_signatures = false

[tokens]
admin = "${TOKENS.admin}"
oracle = "${TOKENS.oracle}"
bridge = "${TOKENS.bridge}"

[limits]
per_client_per_second = 1000000
per_client_burst = 1000000
per_key_per_second = 1000000
per_key_burst = 1000000

[params]
max_oracle_age_ms = 0

[demo]
enabled = false

[[markets]]
pair = "${PAIR}"
skew_scale = "1000000"
max_abs_premium = "0.01"
max_abs_oi = "1000000"
initial_margin_ratio = "0.05"
maintenance_margin_ratio = "0.025"
taker_fee_rate = "0.0006"
maker_fee_rate = "0.0002"
`,
);

const log = fs.openSync(logPath, 'a');
server = spawn(binary, ['serve', '--config', configPath], { stdio: ['ignore', log, log] });
const exited = new Promise((resolve) => {
  server.on('exit', (code, signal) => {
    serverExit = { code, signal };
    resolve(serverExit);
  });
});
server.on('error', fail);

// -------------------------------------------------------------------- REST

async function http(method, route, { body, token, key } = {}) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  if (key) headers['Idempotency-Key'] = key;
  const r = await fetch(base + route, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(WAIT_MS),
  });
  const text = await r.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: r.status, body: json, text };
}

async function ok(method, route, options) {
  const r = await http(method, route, options);
  assert.equal(r.status, 200, `${method} ${route} ${JSON.stringify(options?.body ?? '')}: ${r.text}`);
  return r.body;
}

const expiry = () => Date.now() + 30 * 60_000;
let nonce = 1000;
function marketOrder(trader, size) {
  return { trader, pair: PAIR, size, kind: 'market', max_slippage: '0.05', nonce: ++nonce, expiry: expiry(), signature: '0x' };
}
const deposit = (tx, trader, amount) => ({ tx_id: tx, trader, amount });

for (let ready = false; !ready; ) {
  if (serverExit) throw new Error(`ballast serve exited at start: ${JSON.stringify(serverExit)}`);
  if (Date.now() - started > 20_000) throw new Error('GET /v1/health was not ready within 20 s');
  try {
    ready = (await http('GET', '/v1/health')).status === 200;
  } catch {
    // not listening yet
  }
  if (!ready) await sleep(25);
}

// The market exists (from [[markets]]) but has no price until the oracle posts one.
await ok('POST', '/v1/oracle/prices', { body: { prices: { [PAIR]: ORACLE_PRICE } }, token: TOKENS.oracle });
// An LP backs the vault: orders that open exposure need vault equity.
await ok('POST', '/v1/admin/deposits', { body: deposit('lp-1', LP, '1000000000'), token: TOKENS.bridge });
const vault = await ok('POST', '/v1/vault/deposit', {
  body: { trader: LP, amount: '500000000', nonce: 1, expiry: expiry(), signature: '0x' },
});
assert.ok(vault.seq > 0, `vault deposit reply: ${JSON.stringify(vault)}`);
// Bob is funded now; Alice after her channel is subscribed, to see the deposit there.
await ok('POST', '/v1/admin/deposits', { body: deposit('bob-1', BOB, '10000000'), token: TOKENS.bridge });

// --------------------------------------------------------------- WebSocket

// A connection that checks every channel message as it arrives (n from 0,
// +1 each, without gaps; seq never going back) and lets the test wait for
// the next message of a channel, or for the next reply to its operations.
class Conn {
  constructor(name, headers = {}) {
    this.name = name;
    this.ws = new WebSocket(`ws://127.0.0.1:${port}/v1/ws`, { headers, handshakeTimeout: WAIT_MS });
    sockets.push(this.ws);
    this.queue = []; // messages not yet taken by the test
    this.waiters = [];
    this.n = new Map(); // channel -> last n
    this.seq = new Map(); // channel -> last seq
    this.counts = new Map(); // channel -> messages after the snapshot
    this.closed = null;
    this.ws.on('message', (data, isBinary) => {
      try {
        assert.equal(isBinary, false, `${name}: a binary message`);
        this.check(JSON.parse(data.toString('utf8')));
      } catch (e) {
        fail(e);
      }
    });
    this.ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
    this.ws.on('error', (e) => {
      if (!this.closing) fail(new Error(`${name}: ${e.message}`));
    });
  }

  open() {
    return new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
    });
  }

  check(m) {
    if (typeof m.channel === 'string' && m.n !== undefined) {
      const what = `${this.name} ${m.channel}: ${JSON.stringify(m).slice(0, 300)}`;
      for (const f of ['n', 'seq', 'time']) assert.ok(Number.isInteger(m[f]) && m[f] >= 0, `${f} in ${what}`);
      assert.equal(typeof m.type, 'string', what);
      assert.ok('data' in m, what);
      const last = this.n.get(m.channel);
      if (last === undefined) {
        assert.equal(m.n, 0, `the first message is the snapshot, n = 0: ${what}`);
        assert.equal(m.type, 'snapshot', what);
      } else {
        assert.equal(m.n, last + 1, `a gap or repeat in n after ${last}: ${what}`);
        // Strictly after the snapshot's seq; then never backwards (the
        // messages of one command share its seq: an event, then the account).
        if (last === 0) assert.ok(m.seq > this.seq.get(m.channel), `seq not after the snapshot's ${this.seq.get(m.channel)}: ${what}`);
        else assert.ok(m.seq >= this.seq.get(m.channel), `seq went back from ${this.seq.get(m.channel)}: ${what}`);
        this.counts.set(m.channel, (this.counts.get(m.channel) ?? 0) + 1);
      }
      this.n.set(m.channel, m.n);
      this.seq.set(m.channel, m.seq);
    }
    this.queue.push(m);
    this.wake();
  }

  wake() {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  // The first queued message for which `match` holds, removed from the queue.
  async take(match, what) {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const at = this.queue.findIndex(match);
      if (at >= 0) return this.queue.splice(at, 1)[0];
      if (this.closed) throw new Error(`${this.name}: closed (${JSON.stringify(this.closed)}) waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) {
        const seen = this.queue.map((m) => JSON.stringify(m).slice(0, 160)).join('\n  ');
        throw new Error(`${this.name}: nothing within ${WAIT_MS} ms for ${what}; untaken:\n  ${seen}`);
      }
      await new Promise((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
  // The next message of `channel`, in order (messages of other channels stay queued).
  next(channel) {
    return this.take((m) => m.channel === channel && m.n !== undefined, `the next message of ${channel}`);
  }
  // The next reply to an operation (no n): pong, subscribed, error, response ...
  reply(what) {
    return this.take((m) => m.n === undefined, what);
  }

  send(message) {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  async subscribe(channel, id) {
    this.send({ op: 'subscribe', channel, id });
    const ack = await this.reply(`the ack of ${channel}`);
    assert.deepEqual(ack, { type: 'subscribed', id, channel }, `${this.name}: subscribe ${channel}`);
    const snapshot = await this.next(channel);
    assert.equal(snapshot.type, 'snapshot', JSON.stringify(snapshot));
    assert.equal(snapshot.n, 0);
    return snapshot;
  }

  async post(id, route, body, headers = {}) {
    this.send({ op: 'post', id, route, headers, body });
    const r = await this.reply(`the response to post ${id}`);
    assert.equal(r.type, 'response', JSON.stringify(r));
    assert.equal(r.id, id, JSON.stringify(r));
    return r;
  }
}

// Feed: Alice's client, watching the market and her account.
const feed = new Conn('feed');
// Bob's client: trades over the socket and watches his account.
const bob = new Conn('bob');
// Anyone: no token.
const anyone = new Conn('anyone');
// The operator: the admin token on the upgrade request.
const admin = new Conn('admin', { Authorization: `Bearer ${TOKENS.admin}` });
await Promise.all([feed.open(), bob.open(), anyone.open(), admin.open()]);

const trades = `market.${PAIR}.trades`;
const ticker = `market.${PAIR}.ticker`;
const aliceChannel = `trader.${ALICE}`;
const bobChannel = `trader.${BOB}`;

const tradesSnapshot = await feed.subscribe(trades, 1);
assert.deepEqual(tradesSnapshot.data, { pair: PAIR, trades: [] }, JSON.stringify(tradesSnapshot));
const tickerSnapshot = await feed.subscribe(ticker, 'ticker-1');
assert.equal(tickerSnapshot.data.oracle_price, ORACLE_PRICE, `ticker snapshot: ${JSON.stringify(tickerSnapshot)}`);
assert.equal(tickerSnapshot.data.skew, '0', JSON.stringify(tickerSnapshot));
const aliceSnapshot = await feed.subscribe(aliceChannel, 3);
assert.equal(aliceSnapshot.data.margin, '0', `Alice has not deposited yet: ${JSON.stringify(aliceSnapshot)}`);
const bobSnapshot = await bob.subscribe(bobChannel, 'b');
assert.equal(bobSnapshot.data.margin, '10000000', JSON.stringify(bobSnapshot));

// Alice's deposit reaches her channel at the reply's seq: her account
// appears, then its margin.
const aliceDeposit = await ok('POST', '/v1/admin/deposits', {
  body: deposit('alice-1', ALICE, '20000000'),
  token: TOKENS.bridge,
});
const created = await feed.next(aliceChannel);
assert.equal(created.data.type, 'account_created', JSON.stringify(created));
assert.equal(created.seq, aliceDeposit.seq, JSON.stringify(created));
const margin = await feed.next(aliceChannel);
assert.equal(margin.type, 'margin', JSON.stringify(margin));
assert.deepEqual(margin.data, { change: 'deposit', amount: '20000000' }, JSON.stringify(margin));
assert.equal(margin.seq, aliceDeposit.seq, `the margin message's seq: ${JSON.stringify(margin)}`);

// Orders, each with what its reply said; the trades must match them one to one, in order.
const placed = [];
function expectFilled(reply, trader, size, how) {
  const r = reply.result;
  assert.ok(Number.isInteger(reply.seq), `${how}: ${JSON.stringify(reply)}`);
  assert.equal(r.filled, size, `${how} fills whole: ${JSON.stringify(reply)}`);
  assert.equal(r.rested, '0', `${how}: ${JSON.stringify(reply)}`);
  assert.match(r.exec_price ?? '', /^[0-9]+(\.[0-9]+)?$/, `${how} has an exec_price: ${JSON.stringify(reply)}`);
  placed.push({ trader, size, how, seq: reply.seq, orderId: r.order_id, price: r.exec_price });
}

// Over REST: Alice buys, then sells part of it.
for (const [size, key] of [['0.1', 'alice-buy-1'], ['-0.05', 'alice-sell-1']]) {
  const reply = await ok('POST', '/v1/orders', { body: marketOrder(ALICE, size), key });
  expectFilled(reply, ALICE, size, `REST order ${key}`);
}
// Over the socket: Bob buys, with an Idempotency-Key in the message's headers.
const bobOrder = marketOrder(BOB, '0.2');
const viaSocket = await bob.post('bob-order-1', 'POST /v1/orders', bobOrder, { 'Idempotency-Key': 'bob-buy-1' });
assert.equal(viaSocket.status, 200, JSON.stringify(viaSocket));
expectFilled(viaSocket.body, BOB, '0.2', 'socket order bob-buy-1');
// The same message again is the same order: the first reply, and no second trade
// (the next trade on the channel must be the order after it).
const again = await bob.post(42, 'POST /v1/orders', bobOrder, { 'idempotency-key': 'bob-buy-1' });
assert.equal(again.status, 200, JSON.stringify(again));
assert.deepEqual(again.body, viaSocket.body, 'a resent order gets its first reply');
// A write the socket refuses is answered with its REST status and error body.
const refused = await bob.post('bad', 'POST /v1/orders', { ...marketOrder(BOB, '0.1'), pair: 'NOPE' });
assert.equal(refused.status, 404, JSON.stringify(refused));
assert.equal(refused.body.code, 'unknown_pair', JSON.stringify(refused));
// Bob sells over the socket, Alice buys over REST.
const bobSell = await bob.post('bob-order-2', 'POST /v1/orders', marketOrder(BOB, '-0.03'));
assert.equal(bobSell.status, 200, JSON.stringify(bobSell));
expectFilled(bobSell.body, BOB, '-0.03', 'socket order bob-order-2');
expectFilled(await ok('POST', '/v1/orders', { body: marketOrder(ALICE, '0.02') }), ALICE, '0.02', 'REST order 3');

// Each trade, in order, is the order's: its seq, price, size, id and trader.
for (const p of placed) {
  const t = await feed.next(trades);
  const what = `${p.how}: trade ${JSON.stringify(t)} vs reply ${JSON.stringify(p)}`;
  assert.equal(t.type, 'trade', what);
  assert.equal(t.seq, p.seq, `the trade's seq is the reply's: ${what}`);
  assert.equal(t.data.price, p.price, `the trade's price is the reply's exec_price: ${what}`);
  assert.equal(t.data.size, p.size, what);
  assert.equal(t.data.side, p.size.startsWith('-') ? 'sell' : 'buy', what);
  assert.equal(t.data.trader, p.trader, what);
  assert.equal(t.data.order_id, p.orderId, what);
  assert.equal(t.data.kind, 'order', what);
  assert.equal(t.data.pair, PAIR, what);
}

// Each trader's channel shows a fill for each of their orders, at its seq.
for (const [conn, channel, who] of [
  [feed, aliceChannel, ALICE],
  [bob, bobChannel, BOB],
]) {
  for (const p of placed.filter((o) => o.trader === who)) {
    let m;
    do {
      m = await conn.next(channel); // other events of the same command (e.g. funding) may come first
      assert.ok(m.seq <= p.seq, `no fill at seq ${p.seq} on ${channel}; got ${JSON.stringify(m)}`);
    } while (!(m.type === 'event' && m.data.type === 'fill' && m.seq === p.seq));
    const what = `${channel} fill ${JSON.stringify(m)} vs ${JSON.stringify(p)}`;
    assert.equal(m.data.user, who, what);
    assert.equal(m.data.pair, PAIR, what);
    assert.equal(m.data.order_id, p.orderId, what);
    assert.equal(m.data.size, p.size, what);
    assert.equal(m.data.price, p.price, what);
    // Then the account as the order left it, at the same seq.
    do {
      m = await conn.next(channel);
      assert.equal(m.seq, p.seq, `the account after the fill at seq ${p.seq}: ${JSON.stringify(m)}`);
    } while (m.type !== 'account');
    assert.ok(PAIR in m.data.positions || p.size.startsWith('-'), `the account's positions: ${JSON.stringify(m)}`);
  }
}

// The ticker follows: after an oracle update it shows the new price and the skew.
const oracle = await ok('POST', '/v1/oracle/prices', {
  body: { prices: { [PAIR]: NEXT_ORACLE_PRICE } },
  token: TOKENS.oracle,
});
const skew = (await ok('GET', `/v1/markets/${PAIR}`)).market.skew;
assert.equal(skew, '0.24', 'net of +0.1 -0.05 +0.2 -0.03 +0.02');
let tick;
do {
  tick = await feed.next(ticker);
  assert.equal(tick.type, 'ticker', JSON.stringify(tick));
} while (tick.seq < oracle.seq);
assert.equal(tick.seq, oracle.seq, JSON.stringify(tick));
assert.equal(tick.data.oracle_price, NEXT_ORACLE_PRICE, JSON.stringify(tick));
assert.equal(tick.data.skew, skew, JSON.stringify(tick));

// Admin channels: refused without the token, served with it.
anyone.send({ op: 'subscribe', channel: 'admin.all', id: 5 });
const forbidden = await anyone.reply('the refusal of admin.all');
assert.equal(forbidden.type, 'error', JSON.stringify(forbidden));
assert.equal(forbidden.code, 'forbidden', JSON.stringify(forbidden));
assert.equal(forbidden.id, 5, JSON.stringify(forbidden));
assert.equal(typeof forbidden.message, 'string', JSON.stringify(forbidden));
const markets = await admin.subscribe('admin.all', 'adm');
assert.ok(JSON.stringify(markets.data).includes(PAIR), `admin.all snapshot: ${JSON.stringify(markets)}`);

// Malformed input is answered, and the connection stays.
anyone.send('{"op":"subscribe",');
const malformed = await anyone.reply('the answer to malformed JSON');
assert.equal(malformed.type, 'error', JSON.stringify(malformed));
assert.equal(malformed.code, 'invalid_input', JSON.stringify(malformed));
assert.ok(malformed.message.length > 0, JSON.stringify(malformed));
anyone.send({ op: 'subscribe', channel: 'market.NOPE.ticker', id: 'x' });
assert.deepEqual(await anyone.reply('the ack of an unknown market'), {
  type: 'subscribed',
  id: 'x',
  channel: 'market.NOPE.ticker',
});
const unknown = await anyone.reply('the snapshot error of an unknown market');
assert.equal(unknown.type, 'error', JSON.stringify(unknown));
assert.equal(unknown.channel, 'market.NOPE.ticker', JSON.stringify(unknown));
assert.equal(unknown.status, 404, JSON.stringify(unknown));
assert.equal(unknown.error?.code, 'unknown_pair', JSON.stringify(unknown));
anyone.send({ op: 'ping', id: 'p1' });
assert.deepEqual(await anyone.reply('pong'), { type: 'pong', id: 'p1' });
assert.equal(anyone.ws.readyState, WebSocket.OPEN);

// Unsubscribing stops the channel: a later trade reaches the trades channel of
// another connection but not this one.
bob.send({ op: 'subscribe', channel: trades, id: 't' });
assert.deepEqual(await bob.reply('subscribed'), { type: 'subscribed', id: 't', channel: trades });
await bob.next(trades);
bob.send({ op: 'unsubscribe', channel: trades, id: 'u' });
assert.deepEqual(await bob.reply('unsubscribed'), { type: 'unsubscribed', id: 'u', channel: trades });
const last = await ok('POST', '/v1/orders', { body: marketOrder(ALICE, '-0.01') });
assert.equal((await feed.next(trades)).seq, last.seq);
bob.send({ op: 'ping', id: 'after' }); // the pong comes after anything already sent for the trade
assert.deepEqual(await bob.reply('pong'), { type: 'pong', id: 'after' });
assert.ok(!bob.queue.some((m) => m.channel === trades), 'a trade after unsubscribing');

// Nothing is left over: every channel message was one the test expected.
await sleep(50);
for (const c of [feed, bob, anyone, admin]) {
  const extra = c.queue.filter((m) => m.channel !== ticker && !(m.channel === aliceChannel && m.seq === last.seq));
  assert.deepEqual(extra, [], `${c.name}: unexpected messages`);
}

// SIGTERM with the sockets open: the server closes each one with 1001, then exits 0.
for (const c of [feed, bob, anyone, admin]) c.closing = true;
server.kill('SIGTERM');
const stopped = await Promise.race([exited, sleep(15_000).then(() => null)]);
assert.ok(stopped, 'ballast serve did not exit within 15 s of SIGTERM');
assert.deepEqual(stopped, { code: 0, signal: null }, 'ballast serve exits 0 on SIGTERM');
await Promise.race([
  Promise.all([feed, bob, anyone, admin].map((c) => (c.closed ? null : new Promise((r) => c.ws.once('close', r))))),
  sleep(WAIT_MS),
]);
const closes = [feed, bob, anyone, admin].map((c) => c.closed?.code ?? 'open');
// 1001 "going away", with the reason, before the process exits.
assert.ok(
  closes.every((c) => c === 1001),
  `every client gets a close frame 1001 (going away): ${closes}`,
);

fs.rmSync(dir, { recursive: true, force: true });
const counts = [...feed.counts].map(([c, k]) => `${c}:${k}`).join(' ');
console.log(
  `ws_e2e: OK ws@${require('ws/package.json').version} against ${path.basename(binary)} on port ${port}: ` +
    `${placed.length + 1} orders (${placed.filter((p) => p.how.startsWith('socket')).length} over the socket), ` +
    `messages after snapshots ${counts}, SIGTERM exit 0, close codes ${closes.join(',')}, ${Date.now() - started} ms`,
);
process.exit(0);
