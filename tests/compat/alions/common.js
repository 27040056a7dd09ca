'use strict';
// Shared bits of the ali-ons scripts: flag parsing, a logger that keeps stdout for JSON lines, and
// the client options that point ali-ons at a raftmq NameServer instead of Aliyun's address service.
const fs = require('fs');
const util = require('util');

// "--name=value" and "--flag" arguments into an object; unknown names are rejected by the caller.
function parseArgs(argv, defaults) {
  const out = Object.assign({}, defaults);
  for (const arg of argv) {
    const m = /^--([A-Za-z][\w-]*)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new Error(`bad argument: ${arg}`);
    const name = m[1].replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(name in defaults)) throw new Error(`unknown flag --${m[1]}`);
    const value = m[2] === undefined ? 'true' : m[2];
    out[name] = typeof defaults[name] === 'number' ? Number(value) :
      typeof defaults[name] === 'boolean' ? value === 'true' : value;
    if (typeof defaults[name] === 'number' && !Number.isFinite(out[name])) {
      throw new Error(`--${m[1]} needs a number, got ${value}`);
    }
  }
  return out;
}

// ali-ons logs through options.logger; everything goes to stderr so stdout stays JSON only.
function makeLogger(verbose) {
  // ali-ons passes printf-style arguments ('... topic: %s', topic).
  const write = level => (...args) => {
    process.stderr.write(`${new Date().toISOString()} ${level} ${util.format(...args)}\n`);
  };
  return {
    info: verbose ? write('INFO') : () => {},
    debug: () => {},
    warn: write('WARN'),
    error: write('ERROR'),
  };
}

// The options every client needs: our NameServer list, and an httpclient that is never used
// (ali-ons asserts one is present; with nameSrv set it never fetches the Aliyun address list).
function clientOptions(args, logger) {
  return {
    nameSrv: args.namesrv.split(';').filter(Boolean),
    httpclient: {
      request() {
        throw new Error('raftmq scripts use nameSrv; no HTTP address service');
      },
    },
    logger,
  };
}

// One JSON line per event, to stdout or (setOutput) appended to a file with a synchronous write,
// so a test reading the file never sees half a line.
let outPath = null;
function setOutput(path) {
  outPath = path || null;
}
function emit(obj) {
  const line = JSON.stringify(obj) + '\n';
  if (outPath) fs.appendFileSync(outPath, line);
  else process.stdout.write(line);
}

module.exports = { parseArgs, makeLogger, clientOptions, emit, setOutput };
