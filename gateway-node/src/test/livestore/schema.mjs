// The todo schema the real-client tests share: one synced event and the table it fills. Each row
// keeps the global sequence number of its event, so a client can print the order it converged on.
import { Events, makeSchema, Schema, State } from '@livestore/livestore'

export const events = {
  todoCreated: Events.synced({
    name: 'v1.TodoCreated',
    schema: Schema.Struct({ id: Schema.String, text: Schema.String }),
  }),
}

export const tables = {
  todos: State.SQLite.table({
    name: 'todos',
    columns: {
      id: State.SQLite.text({ primaryKey: true }),
      text: State.SQLite.text({ default: '' }),
      seq: State.SQLite.integer({ default: 0 }),
    },
  }),
}

const materializers = State.SQLite.materializers(events, {
  // A rebase rolls this back and runs it again with the event's final sequence number.
  'v1.TodoCreated': ({ id, text }, { event }) => tables.todos.insert({ id, text, seq: event.seqNum.global }),
})

export const schema = makeSchema({ events, state: State.SQLite.makeState({ tables, materializers }) })
