// 移送: the steps on one referral (the liaison's queue is api/work.ts).
import { graphql } from '@/gql'
import type { ReturnReason } from '@/gql/graphql'

import { gql, settle } from './http'

// What every mutation of this file answers: the change, or the API's refusal in its words.
export const REFERRAL_OUTCOME = graphql(`
  fragment ReferralOutcome on ReferralResult {
    __typename
    ... on ReferralChanged { position referral { id status statusLabel } }
    ... on NotAllowed { message }
    ... on InvalidTransition { message }
    ... on AlreadyClaimed { message }
    ... on InvalidInput { message }
    ... on NotFound { message }
    ... on Conflict { message }
  }
`)

export const CLAIM = graphql(`
  mutation ClaimReferral($id: ID!) {
    result: claimReferral(referralId: $id) {
      ...ReferralOutcome
    }
  }
`)

export const RETURN = graphql(`
  mutation ReturnReferral($id: ID!, $reason: ReturnReason!, $detail: String!) {
    result: returnReferral(referralId: $id, reason: $reason, detail: $detail) {
      ...ReferralOutcome
    }
  }
`)

export const ANSWER = graphql(`
  mutation AnswerReferral($id: ID!, $outcome: String!, $caseNumber: String!, $penalties: String!) {
    result: answerReferral(referralId: $id, outcome: $outcome, caseNumber: $caseNumber, penalties: $penalties) {
      ...ReferralOutcome
    }
  }
`)

export const REASSIGN = graphql(`
  mutation ReassignReferral($id: ID!, $agency: ID!, $reason: String!) {
    result: reassignReferral(referralId: $id, agency: $agency, reason: $reason) {
      ...ReferralOutcome
    }
  }
`)

export const AGENCIES = graphql(`
  query Agencies {
    agencies { id name kind }
  }
`)



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
