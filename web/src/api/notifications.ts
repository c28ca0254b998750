// 通知: the caller's inbox, newest first, keyset-paged by the API.
import { graphql } from '@/gql'

import { gql } from './http'

export const NOTIFICATIONS = graphql(`
  query Notifications($first: Int!, $after: String) {
    notifications(first: $first, after: $after) {
      unreadCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id kind title body itemKind itemId at readAt } }
    }
  }
`)

export const MARK_ALL_READ = graphql(`
  mutation MarkAllRead {
    markAllNotificationsRead { marked unreadCount }
  }
`)

export const PAGE_SIZE = 20

export function notifications(after: string | null) {
  return gql(NOTIFICATIONS, { first: PAGE_SIZE, after })
}

export async function markAllRead(): Promise<void> {
  await gql(MARK_ALL_READ)
}
