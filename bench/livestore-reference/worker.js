// LiveStore's own sync backend, as an app deploys it, with empty hooks: the benchmark's reference.
// scripts/bench bundles this once (wrangler deploy --dry-run) and runs it in workerd with start.mjs.
import { makeDurableObject, makeWorker } from '@livestore/sync-cf/cf-worker'

export class SyncBackendDO extends makeDurableObject({}) {}

export default makeWorker({ syncBackendBinding: 'SYNC_BACKEND_DO', enableCORS: true })
