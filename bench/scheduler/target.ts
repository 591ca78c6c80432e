// The bench's HTTP target, in its own process so its CPU is not the scheduler's: records how late each
// request arrives relative to its X-CloudScheduler-ScheduleTime and reports over IPC.
import { createServer } from 'node:http';
const late: number[] = [];
// Date.now(), the same clock the scheduler stamps with (performance.timeOrigin drifts from it).
const now = (): number => Date.now();
const server = createServer((req, res) => {
  const at = now();
  const sched = Date.parse(String(req.headers['x-cloudscheduler-scheduletime'] ?? ''));
  if (!Number.isNaN(sched)) late.push(at - sched);
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-length': '2' }).end('ok'));
});
server.keepAliveTimeout = 120_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.send?.({ port: typeof addr === 'object' && addr ? addr.port : 0 });
});
process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'drain') {
    process.send?.({ late: late.splice(0), cpu: process.cpuUsage() });
  }
  if (m.cmd === 'exit') server.close(() => process.exit(0));
});
