#!/usr/bin/env node
'use strict';
// Sends --count messages to --topic with ali-ons and prints one JSON line per acknowledged send:
//   {"event":"ack","i":0,"msgId":"7F000001...","topic":"T","broker":"broker-a","queue":1,
//    "offset":0,"key":"k-0","tag":"TagA","status":"SEND_OK"}
// A send that still fails after ali-ons' own retries prints {"event":"error","i":..,"key":..,
// "error":..}. The last line is {"event":"done","acked":N,"failed":F,"ms":T}. Exit status 0 when
// every send was acknowledged with SEND_OK, 1 otherwise, 2 on bad arguments.
//
//   node producer.js --namesrv=127.0.0.1:9876 --topic=T --count=1000 [--tags=TagA,TagB]
//        [--key-prefix=k] [--group=raftmq_alions_producer] [--concurrency=8] [--body-size=64]
//        [--send-timeout-ms=3000] [--out=FILE] [--verbose]
// --out appends the JSON lines to FILE instead of stdout; ali-ons' own log goes to stderr.
const { Producer, Message } = require('ali-ons');
const { parseArgs, makeLogger, clientOptions, emit, setOutput } = require('./common');

const DEFAULTS = {
  namesrv: '',
  topic: '',
  count: 10,
  tags: 'TagA',
  keyPrefix: 'k',
  group: 'raftmq_alions_producer',
  concurrency: 8,
  bodySize: 64,
  sendTimeoutMs: 3000,
  out: '',
  verbose: false,
};

function body(i, size) {
  const head = `body-${i}-`;
  return Buffer.from(head.padEnd(Math.max(size, head.length), 'x'));
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2), DEFAULTS);
    if (!args.namesrv || !args.topic) throw new Error('--namesrv and --topic are required');
    if (args.count < 0 || args.concurrency < 1) throw new Error('bad --count or --concurrency');
  } catch (err) {
    process.stderr.write(`producer.js: ${err.message}\n`);
    return 2;
  }
  setOutput(args.out);
  const logger = makeLogger(args.verbose);
  const tags = args.tags.split(',').map(t => t.trim()).filter(Boolean);
  const producer = new Producer(Object.assign(clientOptions(args, logger), {
    producerGroup: args.group,
    sendMsgTimeout: args.sendTimeoutMs,
  }));
  producer.on('error', err => logger.error('producer error:', err));
  await producer.ready();

  const started = Date.now();
  let next = 0;
  let acked = 0;
  let failed = 0;
  async function worker() {
    while (next < args.count) {
      const i = next++;
      const key = `${args.keyPrefix}-${i}`;
      const tag = tags.length ? tags[i % tags.length] : null;
      const msg = tag ? new Message(args.topic, tag, body(i, args.bodySize)) :
        new Message(args.topic, body(i, args.bodySize));
      msg.keys = [ key ];
      try {
        const r = await producer.send(msg);
        if (r.sendStatus !== 'SEND_OK') throw new Error(`sendStatus ${r.sendStatus}`);
        acked++;
        emit({
          event: 'ack', i, msgId: r.msgId, topic: r.messageQueue.topic,
          broker: r.messageQueue.brokerName, queue: r.messageQueue.queueId, offset: r.queueOffset,
          key, tag, status: r.sendStatus,
        });
      } catch (err) {
        failed++;
        emit({ event: 'error', i, key, error: String(err && err.message || err) });
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(args.concurrency, Math.max(args.count, 1)) }, worker));
  emit({ event: 'done', acked, failed, ms: Date.now() - started });
  await producer.close();
  return failed === 0 ? 0 : 1;
}

main().then(code => process.exit(code), err => {
  process.stderr.write(`producer.js: ${err && err.stack || err}\n`);
  process.exit(1);
});
