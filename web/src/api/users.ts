// 用户管理 and 登录日志 (admins): accounts and sign-in attempts, keyset-paged by the API.
import { graphql } from '@/gql'
import type { Role } from '@/gql/graphql'

import { gql, settle } from './http'

export const USERS = graphql(`
  query Users($first: Int!, $after: String) {
    users(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id username displayName status role agencyId agencyName region failedSignIns createdAt changedAt } }
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

// What every mutation of this file answers: the change, or the API's refusal in its words.
export const USER_OUTCOME = graphql(`
  fragment UserOutcome on UserResult {
    __typename
    ... on UserChanged { position }
    ... on NotAllowed { message }
    ... on InvalidInput { message }
    ... on InvalidTransition { message }
    ... on NotFound { message }
    ... on Conflict { message }
  }
`)

export const CREATE_USER = graphql(`
  mutation CreateUser($username: String!, $displayName: String!, $password: String!, $role: Role, $agency: String, $region: String = null) {
    result: createUser(username: $username, displayName: $displayName, password: $password, role: $role, agency: $agency, region: $region) {
      ...UserOutcome
    }
  }
`)

export const UNLOCK_USER = graphql(`
  mutation UnlockUser($username: String!) {
    result: unlockUser(username: $username) {
      ...UserOutcome
    }
  }
`)

export const GRANT_ROLE = graphql(`
  mutation GrantRole($username: String!, $role: Role!, $agency: String, $region: String) {
    result: grantRole(username: $username, role: $role, agency: $agency, region: $region) {
      ...UserOutcome
    }
  }
`)

export const REVOKE_ROLE = graphql(`
  mutation RevokeRole($username: String!) {
    result: revokeRole(username: $username) {
      ...UserOutcome
    }
  }
`)

export const RESET_PASSWORD = graphql(`
  mutation ResetPassword($username: String!, $password: String!) {
    result: resetPassword(username: $username, password: $password) {
      ...UserOutcome
    }
  }
`)

export const LOCK_USER = graphql(`
  mutation LockUser($username: String!) {
    result: lockUser(username: $username) {
      ...UserOutcome
    }
  }
`)

export const DISABLE_USER = graphql(`
  mutation DisableUser($username: String!) {
    result: disableUser(username: $username) {
      ...UserOutcome
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


export interface NewUser {
  username: string
  displayName: string
  password: string
  role: Role | null
  agency: string | null
  region?: string | null
}

export async function createUser(user: NewUser): Promise<void> {
  settle((await gql(CREATE_USER, user)).result)
}

export async function unlockUser(username: string): Promise<void> {
  settle((await gql(UNLOCK_USER, { username })).result)
}

export async function grantRole(username: string, role: Role, agency: string | null, region: string | null): Promise<void> {
  settle((await gql(GRANT_ROLE, { username, role, agency, region })).result)
}

export async function revokeRole(username: string): Promise<void> {
  settle((await gql(REVOKE_ROLE, { username })).result)
}

export async function resetPassword(username: string, password: string): Promise<void> {
  settle((await gql(RESET_PASSWORD, { username, password })).result)
}

export async function lockUser(username: string): Promise<void> {
  settle((await gql(LOCK_USER, { username })).result)
}

export async function disableUser(username: string): Promise<void> {
  settle((await gql(DISABLE_USER, { username })).result)
}
