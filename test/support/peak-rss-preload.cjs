// Preloaded into a child Node process (NODE_OPTIONS=--require): at exit, writes the process's
// peak resident set size (VmHWM of /proc/self/status, in KiB, worker threads included) to the
// file named by PEAK_RSS_FILE.
const { readFileSync, writeFileSync } = require('node:fs');
const { isMainThread } = require('node:worker_threads');

const target = process.env.PEAK_RSS_FILE;
if (isMainThread && target) {
  process.on('exit', () => {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    writeFileSync(target, match ? match[1] : 'unknown');
  });
}
