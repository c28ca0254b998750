// 我的待办: one queue over every kind of item (workQueue). The steps its rows offer are sent
// by src/api/steps.ts, a chunk of its own.
import type { WorkOrder, WorkQueueQuery } from '@/gql/graphql'

import { takeEarly } from './early'
import { gql, readEarly } from './http'
import { queueVariables, WORK_QUEUE, type WorkFilter } from './queue'

export { openingFilter, type WorkFilter } from './queue'

export function workQueue(filter: WorkFilter, orderBy: WorkOrder, after: string | null) {
  return gql(WORK_QUEUE, queueVariables(filter, orderBy, after))
}

/** The first page asked for as the workbench started on /todo (src/api/early.ts), if it was
 * asked for these filters and order and not taken yet; `null` when there is none or it
 * failed, and the page asks as usual. */
export async function takeFirstPageEarly(filter: WorkFilter, orderBy: WorkOrder): Promise<WorkQueueQuery | null> {
  const taken = takeEarly('queue')
  if (!taken || taken.key !== JSON.stringify(queueVariables(filter, orderBy, null))) return null
  return readEarly<WorkQueueQuery>(taken.sent)
}
