// Live notices over graphql-transport-ws (api/live.py): the page's session cookie signs the
// websocket in, so nothing is sent in connection_init. A notice only says that something
// changed; the page refetches its own query, once per burst (src/utils/debounce.ts).
import { createClient, type Client } from 'graphql-ws'

import { graphql } from '@/gql'

import { notePosition } from './http'

export const DASHBOARD_CHANGED = graphql(`
  subscription DashboardChanged {
    dashboardChanged { position kinds }
  }
`)

export const QUEUE_CHANGED = graphql(`
  subscription QueueChanged {
    queueChanged { position kinds }
  }
`)

let client: Client | null = null
// Whether the shared socket is up: a page that starts listening after it connected (the
// header bell connects it first) is told at once, as it would miss the 'connected' event.
let up = false

function socketUrl(): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
  return `${scheme}://${location.host}/graphql`
}

function shared(): Client {
  if (client) return client
  client = createClient({
    url: socketUrl(),
    lazy: true,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
  })
  client.on('connected', () => (up = true))
  client.on('closed', () => (up = false))
  return client
}

export interface LiveHandlers {
  /** a notice arrived (the read tables have reached its position); its item kinds, empty: any */
  changed: (kinds: string[]) => void
  /** the connection is up (true) or lost and being retried (false) */
  connected?: (up: boolean) => void
}

type Notice = { position: number; kinds: string[] }

function follow(field: 'dashboardChanged' | 'queueChanged', query: string, handlers: LiveHandlers): () => void {
  const socket = shared()
  const off = [
    socket.on('connected', () => handlers.connected?.(true)),
    socket.on('closed', () => handlers.connected?.(false)),
  ]
  if (up) handlers.connected?.(true)
  const stop = socket.subscribe<Record<typeof field, Notice>>(
    { query },
    {
      next: (message) => {
        // the refetch then waits for the read tables to reach this notice's position
        notePosition(message.data?.[field].position)
        handlers.changed(message.data?.[field].kinds ?? [])
      },
      error: () => handlers.connected?.(false),
      complete: () => undefined,
    },
  )
  return () => {
    stop()
    for (const listener of off) listener()
  }
}

/** Listens to dashboardChanged until the returned function is called. */
export function onDashboardChanged(handlers: LiveHandlers): () => void {
  return follow('dashboardChanged', DASHBOARD_CHANGED.toString(), handlers)
}

/** Listens to queueChanged (the caller's own work and inbox) until the returned function is called. */
export function onQueueChanged(handlers: LiveHandlers): () => void {
  return follow('queueChanged', QUEUE_CHANGED.toString(), handlers)
}
