// A headless LiveStore client (adapter-node + sync-cf 0.4.0) that a Java test drives: one JSON
// command per stdin line, one answer per command on stdout as "@@ " + JSON (LiveStore's own logs
// may also go to stdout). Every wait is bounded by the command's timeoutMs and answers
// {ok:false, error} past it. Settings come from the environment:
//   LS_URL        base URL (ws://host:port/livestore or http://…), LS_TRANSPORT ws|http
//   LS_STORE_ID, LS_CLIENT_ID, LS_SESSION_ID, LS_AUTH_TOKEN and LS_INSTANCE_ID (optional: the
//   syncPayload is {instanceId, authToken} as Work Squared's web client sends it)
//   LS_STORAGE_DIR  file storage there; unset = in memory
// Commands: {cmd:'commit', prefix, count} commits count todos `${prefix}-${i}`, one event each;
// {cmd:'await', count, timeoutMs} waits for count todos, all confirmed by the backend;
// {cmd:'state'} the todos, the confirmed event log and sync counters; {cmd:'exit'} shuts the store down.
import { createInterface } from 'node:readline'
import WebSocket from 'ws'
import { fetch as undiciFetch } from 'undici'

const env = process.env
const transport = env.LS_TRANSPORT ?? 'ws'
// What the backend sent: events received in pull chunks (catch-up and live), the largest chunk,
// the backendIds seen, the pushes it refused with ServerAheadError (each one a rebase), the codes
// its sockets were closed with and the connects it refused (e.g. "Unexpected server response: 400").
const received = { events: 0, chunks: 0, maxBatch: 0, backendIds: new Set(), serverAhead: 0, closeCodes: [], refusedConnects: [] }
const countResponse = (message) => {
  if (message?._tag === 'Exit' && message.exit?.cause?.error?._tag === 'ServerAheadError') received.serverAhead++
  if (message?._tag !== 'Chunk') return
  for (const value of message.values ?? []) {
    if (!Array.isArray(value?.batch) || value.backendId === undefined) continue
    received.chunks++
    received.events += value.batch.length
    received.maxBatch = Math.max(received.maxBatch, value.batch.length)
    received.backendIds.add(value.backendId)
  }
}

// Node 20 has no global WebSocket; LiveStore's ws transport takes the global constructor.
globalThis.WebSocket = class CountingWebSocket extends WebSocket {
  constructor(...args) {
    super(...args)
    this.addEventListener('close', (event) => received.closeCodes.push(event.code))
    this.addEventListener('error', (event) => received.refusedConnects.push(String(event.message ?? event.error)))
    this.addEventListener('message', (event) => {
      try {
        countResponse(JSON.parse(typeof event.data === 'string' ? event.data : Buffer.from(event.data).toString()))
      } catch {}
    })
  }
}
// Node 20's built-in fetch fails on LiveStore's HTTP transport ("invalid content-length header").
globalThis.fetch = async (...args) => {
  const response = await undiciFetch(...args)
  response.clone().json().then((messages) => (Array.isArray(messages) ? messages : [messages]).forEach(countResponse), () => {})
  return response
}

const { createStorePromise, queryDb, Schema } = await import('@livestore/livestore')
const { makeAdapter } = await import('@livestore/adapter-node')
const { makeWsSync, makeHttpSync } = await import('@livestore/sync-cf/client')
const { events, schema } = await import('./schema.mjs')

const backend = transport === 'http' ? makeHttpSync({ url: env.LS_URL }) : makeWsSync({ url: env.LS_URL })
const adapter = makeAdapter({
  storage: env.LS_STORAGE_DIR ? { type: 'fs', baseDirectory: env.LS_STORAGE_DIR } : { type: 'in-memory' },
  clientId: env.LS_CLIENT_ID,
  sessionId: env.LS_SESSION_ID ?? 'session-1',
  sync: { backend },
})
const store = await createStorePromise({
  schema,
  adapter,
  storeId: env.LS_STORE_ID,
  disableDevtools: true,
  syncPayload: env.LS_AUTH_TOKEN
    ? { ...(env.LS_INSTANCE_ID ? { instanceId: env.LS_INSTANCE_ID } : {}), authToken: env.LS_AUTH_TOKEN }
    : undefined,
})
// In materialization order: a rebase rolls rows back and inserts them again after the events before them.
const todos$ = queryDb(
  { query: 'SELECT id FROM todos ORDER BY rowid', schema: Schema.Array(Schema.Struct({ id: Schema.String })) },
  { label: 'todos' },
)

const state = async () => {
  const todos = store.query(todos$)
  const { leader } = await store._dev.syncStates()
  // The confirmed part of the client's event log, in sequence order.
  const log = []
  if (leader.upstreamHead.global > 0) {
    for await (const event of store.events({ until: leader.upstreamHead })) log.push(event)
  }
  return {
    ids: todos.map((t) => t.id),
    logIds: log.map((e) => e.args.id),
    seqs: log.map((e) => e.seqNum.global),
    parents: log.map((e) => e.parentSeqNum.global),
    upstreamHead: leader.upstreamHead.global,
    localHead: leader.localHead.global,
    pending: leader.pending.length,
    receivedEvents: received.events,
    receivedChunks: received.chunks,
    maxBatch: received.maxBatch,
    backendIds: [...received.backendIds],
    serverAhead: received.serverAhead,
    closeCodes: received.closeCodes,
    refusedConnects: received.refusedConnects,
  }
}

const POLL_MS = 50
const awaitTodos = async ({ count, timeoutMs = 30_000 }) => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const { leader } = await store._dev.syncStates()
    const have = store.query(todos$).length
    const upstream = leader.upstreamHead.global
    const local = leader.localHead.global
    if (have >= count && leader.pending.length === 0 && upstream === local) return state()
    if (Date.now() > deadline) {
      throw new Error(`not within ${timeoutMs} ms: ${count} confirmed todos; have ${have}, ` +
        `pending ${leader.pending.length}, upstream head ${upstream}, local head ${local}`)
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}

const commands = {
  commit: async ({ prefix, count }) => {
    for (let i = 0; i < count; i++) store.commit(events.todoCreated({ id: `${prefix}-${i}`, text: `todo ${i}` }))
    return {}
  },
  await: awaitTodos,
  state,
  exit: async () => {
    await store.shutdownPromise()
    setImmediate(() => process.exit(0))
    return {}
  },
}

const answer = (message) => process.stdout.write('@@ ' + JSON.stringify(message) + '\n')
answer({ ready: true })
// One command at a time, in order: the test waits for each answer before the next.
let queue = Promise.resolve()
createInterface({ input: process.stdin }).on('line', (line) => {
  queue = queue.then(async () => {
    let command
    try {
      command = JSON.parse(line)
      const handler = commands[command.cmd]
      if (!handler) throw new Error(`unknown command ${command.cmd}`)
      answer({ ok: true, cmd: command.cmd, ...(await handler(command)) })
    } catch (error) {
      answer({ ok: false, cmd: command?.cmd, error: String(error?.stack ?? error) })
    }
  })
}).on('close', () => queue.then(() => process.exit(0)))
