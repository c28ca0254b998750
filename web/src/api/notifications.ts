// 通知: the caller's inbox, newest first, keyset-paged by the API.
import { graphql } from '@/gql'

import { gql, settle } from './http'

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

// The header bell: how many unread, and the latest few of them.
export const UNREAD_NOTICES = graphql(`
  query UnreadNotices($first: Int!) {
    notifications(unreadOnly: true, first: $first) {
      unreadCount
      edges { node { id kind title itemKind itemId at } }
    }
  }
`)

export const MARK_READ = graphql(`
  mutation MarkNotificationRead($id: ID!) {
    result: markNotificationRead(id: $id) {
      __typename
      ... on NotificationMarkedRead { unreadCount }
      ... on NotFound { message }
      ... on InvalidInput { message }
    }
  }
`)

export const BELL_SIZE = 5

export async function unreadNotices() {
  return (await gql(UNREAD_NOTICES, { first: BELL_SIZE })).notifications
}

/** Marks one notice read; answers the unread count left, or throws the API's refusal. */
export async function markRead(id: string): Promise<number> {
  const result = (await gql(MARK_READ, { id })).result
  settle(result)
  return result.__typename === 'NotificationMarkedRead' ? result.unreadCount : 0
}
