// Runs the bundled LiveStore worker (dist/worker.js) in workerd through Miniflare, without
// wrangler dev (whose debugger connection costs more CPU than the worker itself).
// Usage: node start.mjs <port> <persist-dir>   (prints "ready <url>" once it answers;
// workerd runs as this process's child and stops with it)
import { Miniflare } from 'miniflare'

const [port, persistDir] = [Number(process.argv[2]), process.argv[3]]
const mf = new Miniflare({
  host: '127.0.0.1',
  port,
  modules: [{ type: 'ESModule', path: new URL('./dist/worker.js', import.meta.url).pathname }],
  modulesRoot: new URL('./dist', import.meta.url).pathname,
  // the same as wrangler.toml
  compatibilityDate: '2025-05-07',
  compatibilityFlags: ['enable_request_signal'],
  durableObjects: { SYNC_BACKEND_DO: { className: 'SyncBackendDO', useSQLite: true } },
  // SQLite Durable Object storage on disk, as a deployed worker has (fsync per push)
  durableObjectsPersist: persistDir,
})
const url = await mf.ready
console.log(`ready ${url.href}`)
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => mf.dispose().finally(() => process.exit(0)))
}
