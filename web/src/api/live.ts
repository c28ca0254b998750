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

let client: Client | null = null

function socketUrl(): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
  return `${scheme}://${location.host}/graphql`
}

function shared(): Client {
  client ??= createClient({
    url: socketUrl(),
    lazy: true,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
  })
  return client
}

export interface LiveHandlers {
  /** a notice arrived (the read tables have reached its position) */
  changed: () => void
  /** the connection is up (true) or lost and being retried (false) */
  connected?: (up: boolean) => void
}

/** Listens to dashboardChanged until the returned function is called. */
export function onDashboardChanged(handlers: LiveHandlers): () => void {
  const socket = shared()
  const off = [
    socket.on('connected', () => handlers.connected?.(true)),
    socket.on('closed', () => handlers.connected?.(false)),
  ]
  const stop = socket.subscribe<{ dashboardChanged: { position: number; kinds: string[] } }>(
    { query: DASHBOARD_CHANGED.toString() },
    {
      next: (message) => {
        // the refetch then waits for the read tables to reach this notice's position
        notePosition(message.data?.dashboardChanged.position)
        handlers.changed()
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
