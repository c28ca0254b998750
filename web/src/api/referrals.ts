// 移送: the liaison's queue and the steps on one referral.
import { graphql } from '@/gql'
import type { ReferralQueueFilter, ReturnReason } from '@/gql/graphql'
import { refusal } from '@/utils/errors'

import { gql, notePosition } from './http'

export const REFERRAL_QUEUE = graphql(`
  query ReferralQueue($filter: ReferralQueueFilter, $first: Int!, $after: String) {
    referralQueue(filter: $filter, first: $first, after: $after, orderBy: DUE) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node {
          id status statusLabel reason subjectKind claimedBy
          sender { id name }
          receiver { id name }
          sentAt dueAt overdue provisional round
        }
      }
    }
  }
`)


export const CLAIM = graphql(`
  mutation ClaimReferral($id: ID!) {
    result: claimReferral(referralId: $id) {
      __typename
      ... on ReferralChanged { position referral { id status statusLabel } }
      ... on NotAllowed { message }
      ... on InvalidTransition { message }
      ... on AlreadyClaimed { message }
      ... on InvalidInput { message }
      ... on NotFound { message }
      ... on Conflict { message }
    }
  }
`)

export const RETURN = graphql(`
  mutation ReturnReferral($id: ID!, $reason: ReturnReason!, $detail: String!) {
    result: returnReferral(referralId: $id, reason: $reason, detail: $detail) {
      __typename
      ... on ReferralChanged { position referral { id status statusLabel } }
      ... on NotAllowed { message }
      ... on InvalidTransition { message }
      ... on AlreadyClaimed { message }
      ... on InvalidInput { message }
      ... on NotFound { message }
      ... on Conflict { message }
    }
  }
`)

export const ANSWER = graphql(`
  mutation AnswerReferral($id: ID!, $outcome: String!, $caseNumber: String!, $penalties: String!) {
    result: answerReferral(referralId: $id, outcome: $outcome, caseNumber: $caseNumber, penalties: $penalties) {
      __typename
      ... on ReferralChanged { position referral { id status statusLabel } }
      ... on NotAllowed { message }
      ... on InvalidTransition { message }
      ... on AlreadyClaimed { message }
      ... on InvalidInput { message }
      ... on NotFound { message }
      ... on Conflict { message }
    }
  }
`)

export const REASSIGN = graphql(`
  mutation ReassignReferral($id: ID!, $agency: ID!, $reason: String!) {
    result: reassignReferral(referralId: $id, agency: $agency, reason: $reason) {
      __typename
      ... on ReferralChanged { position referral { id status statusLabel } }
      ... on NotAllowed { message }
      ... on InvalidTransition { message }
      ... on AlreadyClaimed { message }
      ... on InvalidInput { message }
      ... on NotFound { message }
      ... on Conflict { message }
    }
  }
`)

export const AGENCIES = graphql(`
  query Agencies {
    agencies { id name kind }
  }
`)

export const PAGE_SIZE = 20

export function referralQueue(filter: ReferralQueueFilter, after: string | null) {
  return gql(REFERRAL_QUEUE, { filter, first: PAGE_SIZE, after })
}

type Outcome = { __typename: string; message?: string; position?: number | null }

function settle(result: Outcome): void {
  const refused = refusal(result)
  if (refused) throw refused
  notePosition(result.position)
}

export async function claimReferral(id: string): Promise<void> {
  settle((await gql(CLAIM, { id })).result)
}

export async function returnReferral(id: string, reason: ReturnReason, detail: string): Promise<void> {
  settle((await gql(RETURN, { id, reason, detail })).result)
}

export async function answerReferral(
  id: string,
  outcome: string,
  caseNumber: string,
  penalties: string,
): Promise<void> {
  settle((await gql(ANSWER, { id, outcome, caseNumber, penalties })).result)
}

export async function reassignReferral(id: string, agency: string, reason: string): Promise<void> {
  settle((await gql(REASSIGN, { id, agency, reason })).result)
}

export async function agencies() {
  return (await gql(AGENCIES)).agencies
}
