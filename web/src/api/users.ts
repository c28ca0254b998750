// 用户管理 and 登录日志 (admins): accounts and sign-in attempts, keyset-paged by the API.
import { graphql } from '@/gql'
import type { Role } from '@/gql/graphql'
import { refusal } from '@/utils/errors'

import { gql, notePosition } from './http'

export const USERS = graphql(`
  query Users($first: Int!, $after: String) {
    users(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id username displayName status role agencyName region failedSignIns createdAt } }
    }
  }
`)

export const SIGN_IN_LOG = graphql(`
  query SignInLog($first: Int!, $after: String) {
    signInLog(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { cursor node { at username outcome address userAgent } }
    }
  }
`)

export const CREATE_USER = graphql(`
  mutation CreateUser($username: String!, $displayName: String!, $password: String!, $role: Role, $agency: String) {
    result: createUser(username: $username, displayName: $displayName, password: $password, role: $role, agency: $agency) {
      __typename
      ... on UserChanged { position }
      ... on NotAllowed { message }
      ... on InvalidInput { message }
      ... on InvalidTransition { message }
      ... on NotFound { message }
      ... on Conflict { message }
    }
  }
`)

export const UNLOCK_USER = graphql(`
  mutation UnlockUser($username: String!) {
    result: unlockUser(username: $username) {
      __typename
      ... on UserChanged { position }
      ... on NotAllowed { message }
      ... on InvalidInput { message }
      ... on InvalidTransition { message }
      ... on NotFound { message }
      ... on Conflict { message }
    }
  }
`)

export const PAGE_SIZE = 20

export function users(after: string | null) {
  return gql(USERS, { first: PAGE_SIZE, after })
}

export function signInLog(after: string | null) {
  return gql(SIGN_IN_LOG, { first: PAGE_SIZE, after })
}

function settle(result: { __typename: string; message?: string; position?: number | null }): void {
  const refused = refusal(result)
  if (refused) throw refused
  notePosition(result.position)
}

export interface NewUser {
  username: string
  displayName: string
  password: string
  role: Role | null
  agency: string | null
}

export async function createUser(user: NewUser): Promise<void> {
  settle((await gql(CREATE_USER, user)).result)
}

export async function unlockUser(username: string): Promise<void> {
  settle((await gql(UNLOCK_USER, { username })).result)
}
