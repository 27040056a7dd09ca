#!/usr/bin/env node
'use strict';
// A clustering push consumer (ali-ons) that prints one JSON line per delivery to its handler:
//   {"event":"msg","result":"ok"|"fail","msgId":..,"originMsgId":..,"key":..,"tags":..,
//    "topic":"T","queueTopic":"%RETRY%G"|"T","queue":0,"offset":5,"reconsumeTimes":1,
//    "at":<ms since the epoch>}
// `topic` is the message's original topic (ali-ons maps a retried copy back to it); `queueTopic`
// is the queue it was pulled from. `msgId` is the stored copy's id; a retried copy has a new one and
// names the first in `originMsgId`.
// It prints {"event":"started"} once subscribed and {"event":"closed","delivered":N} when done.
//
//   node consumer.js --namesrv=127.0.0.1:9876 --topic=T --group=G
//        [--subscription='*' | 'TagA||TagB']     tag expression
//        [--fail-times=0]       the handler throws while msg.reconsumeTimes < this (0 = never)
//        [--fail-keys=REGEX]    ...only for messages whose key matches (default: all)
//        [--max-reconsume=16]   ali-ons maxReconsumeTimes (sent with CONSUMER_SEND_MSG_BACK)
//        [--from=first|last]    consumeFromWhere for a new group
//        [--exit-after=0]       exit after this many successful deliveries (0 = never) ...
//        [--linger-ms=2000]     ... and this long again, to catch duplicates
//        [--timeout-ms=120000]  exit (status 3) when still running after this long
//        [--rebalance-ms=2000]  ali-ons rebalanceInterval
//        [--report-pulled]      also print {"event":"pulled",...} for every message a pull returned,
//                               before ali-ons' own tag filter (shows what the broker filtered)
//        [--out=FILE]           append the JSON lines to FILE instead of stdout
// SIGTERM or SIGINT closes the consumer (offsets are committed) and exits 0.
const { Consumer } = require('ali-ons');
const { parseArgs, makeLogger, clientOptions, emit, setOutput } = require('./common');

const DEFAULTS = {
  namesrv: '',
  topic: '',
  group: '',
  subscription: '*',
  failTimes: 0,
  failKeys: '',
  maxReconsume: 16,
  from: 'first',
  exitAfter: 0,
  lingerMs: 2000,
  timeoutMs: 120000,
  rebalanceMs: 2000,
  reportPulled: false,
  out: '',
  verbose: false,
};

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2), DEFAULTS);
    if (!args.namesrv || !args.topic || !args.group) {
      throw new Error('--namesrv, --topic and --group are required');
    }
    if (args.from !== 'first' && args.from !== 'last') throw new Error('--from is first or last');
  } catch (err) {
    process.stderr.write(`consumer.js: ${err.message}\n`);
    return 2;
  }
  setOutput(args.out);
  const logger = makeLogger(args.verbose);
  const failKeys = args.failKeys ? new RegExp(args.failKeys) : null;
  const consumer = new Consumer(Object.assign(clientOptions(args, logger), {
    consumerGroup: args.group,
    consumeFromWhere: args.from === 'first' ? 'CONSUME_FROM_FIRST_OFFSET' : 'CONSUME_FROM_LAST_OFFSET',
    maxReconsumeTimes: args.maxReconsume,
    rebalanceInterval: args.rebalanceMs,
  }));
  consumer.on('error', err => logger.warn('consumer error:', err && err.message || err));
  // The queue topic of every pulled message by msgId: ali-ons hands a %RETRY% message to the
  // original topic's handler without its queue and with msg.topic already set back. And, when
  // asked, every pulled message before ali-ons' own tag filter drops the unsubscribed ones.
  const queueTopicOf = new Map();
  const pull = consumer.pullKernelImpl.bind(consumer);
  consumer.pullKernelImpl = async (...pullArgs) => {
    const result = await pull(...pullArgs);
    for (const msg of result.msgFoundList || []) {
      queueTopicOf.set(msg.msgId, msg.topic);
      if (args.reportPulled) {
        emit({
          event: 'pulled', msgId: msg.msgId, key: msg.keys || null, tags: msg.tags || null,
          queueTopic: msg.topic, queue: msg.queueId, offset: Number(msg.queueOffset),
        });
      }
    }
    return result;
  };

  let delivered = 0;
  let okCount = 0;
  let finishing = null;
  const finish = code => {
    if (finishing) return finishing;
    finishing = (async () => {
      try {
        await consumer.close();
      } catch (err) {
        logger.error('close failed:', err);
      }
      emit({ event: 'closed', delivered, ok: okCount });
      return code;
    })();
    return finishing;
  };

  const done = new Promise(resolve => {
    process.on('SIGTERM', () => resolve(finish(0)));
    process.on('SIGINT', () => resolve(finish(0)));
    setTimeout(() => {
      logger.error(`timeout after ${args.timeoutMs} ms with ${okCount} ok deliveries`);
      resolve(finish(3));
    }, args.timeoutMs).unref();
    let lingerStarted = false;
    const maybeExit = () => {
      if (args.exitAfter > 0 && okCount >= args.exitAfter && !lingerStarted) {
        lingerStarted = true;
        setTimeout(() => resolve(finish(0)), args.lingerMs);
      }
    };

    consumer.subscribe(args.topic, args.subscription, async msg => {
      delivered++;
      const key = msg.keys || null;
      const fail = args.failTimes > 0 && msg.reconsumeTimes < args.failTimes &&
        (!failKeys || failKeys.test(key || ''));
      emit({
        event: 'msg', result: fail ? 'fail' : 'ok', msgId: msg.msgId,
        originMsgId: msg.originMessageId || null, key, tags: msg.tags || null, topic: msg.topic,
        queueTopic: queueTopicOf.get(msg.msgId) || null, queue: msg.queueId,
        offset: Number(msg.queueOffset), reconsumeTimes: msg.reconsumeTimes, at: Date.now(),
      });
      if (fail) throw new Error(`failing on purpose (reconsumeTimes=${msg.reconsumeTimes})`);
      okCount++;
      maybeExit();
    });
  });

  consumer.ready().then(() => emit({ event: 'started', group: args.group, topic: args.topic }),
    err => logger.error('consumer failed to start:', err));
  return await done;
}

main().then(code => process.exit(code), err => {
  process.stderr.write(`consumer.js: ${err && err.stack || err}\n`);
  process.exit(1);
});
