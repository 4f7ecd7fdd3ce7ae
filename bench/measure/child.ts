/**
 * The entry of a child host (see host.ts): it builds subjects from workload modules, warms them
 * up and times samples on request, one request at a time, and exits when the parent disconnects.
 */
import { type Reply, type Request, SubjectTable } from './host.js'
import { sinkValue } from './sampler.js'

const table = new SubjectTable()

const describe = (e: unknown): string =>
  e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e)

async function handle(req: Request): Promise<unknown> {
  switch (req.op) {
    case 'setup':
      return table.setup(req.ref, req.prefix)
    case 'warmUp':
      return table.warmUp(req.names, req.opts)
    case 'sample':
      return table.sample(req.name, req.preroll)
    case 'drop':
      table.drop(req.prefix)
      return null
  }
}

// requests are answered in order: a sample never overlaps another request
let queue = Promise.resolve()
process.on('message', (m: Request & { id: number }) => {
  queue = queue.then(async () => {
    let reply: Reply
    try {
      reply = { id: m.id, ok: true, value: await handle(m) }
    } catch (e) {
      reply = { id: m.id, ok: false, error: describe(e) }
    }
    process.send!(reply)
  })
})
process.on('disconnect', () => {
  void sinkValue()
  process.exit(0)
})
process.send!('ready')
