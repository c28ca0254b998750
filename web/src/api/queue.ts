// 我的待办's query and its opening filters, importing nothing but the document's class, so
// the early script (src/early.ts) can send it without loading the rest of the workbench.
import { graphql } from '@/gql'
import type { WorkKind, WorkOrder } from '@/gql/graphql'

export const PAGE_SIZE = 20

export const WORK_QUEUE = graphql(`
  query WorkQueue($filter: WorkQueueFilter, $first: Int!, $after: String, $orderBy: WorkOrder!) {
    workQueue(filter: $filter, first: $first, after: $after, orderBy: $orderBy) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          kind id title reference status
          campaign { id title }
          agency { id name }
          dueDate workingDaysLeft overdue receivedAt
          steps { mutation label }
        }
      }
    }
  }
`)

export interface WorkFilter {
  kinds: WorkKind[]
  campaign: string
  overdue: boolean
  search: string
}

/** What 我的待办 shows when it opens: every kind, soonest due first. */
export function openingFilter(): WorkFilter {
  return { kinds: [], campaign: '', overdue: false, search: '' }
}

export function queueVariables(filter: WorkFilter, orderBy: WorkOrder, after: string | null) {
  return {
    filter: {
      kinds: filter.kinds.length ? filter.kinds : null,
      campaign: filter.campaign || null,
      overdue: filter.overdue || null,
      search: filter.search.trim() || null,
    },
    first: PAGE_SIZE,
    after,
    orderBy,
  }
}
