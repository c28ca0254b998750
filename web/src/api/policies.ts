// 督办规则: each campaign's escalation ladder per item kind (api/policies.py).
import { graphql } from '@/gql'

import { gql, settle } from './http'

export const ESCALATION_POLICIES = graphql(`
  query EscalationPolicies($campaign: ID) {
    escalationPolicies(campaign: $campaign) {
      campaign { id title }
      kind
      version
      rungs { name kind offset addressee label }
    }
  }
`)

export const SET_ESCALATION_POLICY = graphql(`
  mutation SetEscalationPolicy($campaign: ID!, $kind: String!, $rungs: [PolicyRungInput!]!, $applyToRunning: Boolean!, $reason: String!) {
    result: setEscalationPolicy(campaign: $campaign, kind: $kind, rungs: $rungs, applyToRunning: $applyToRunning, reason: $reason) {
      __typename
      ... on PolicyChanged { position policy { version } }
      ... on NotAllowed { message }
      ... on InvalidInput { message field }
      ... on NotFound { message }
      ... on Conflict { message }
    }
  }
`)

export interface PolicyToSet {
  campaign: string
  kind: string
  rungs: { name: string; kind: string; offset: string; addressee: string; label: string }[]
  applyToRunning: boolean
  reason: string
}

export async function escalationPolicies(campaign: string | null) {
  return (await gql(ESCALATION_POLICIES, { campaign })).escalationPolicies
}

/** True when a new version was recorded; false when the same rungs were in force. */
export async function setEscalationPolicy(policy: PolicyToSet): Promise<boolean> {
  const { result } = await gql(SET_ESCALATION_POLICY, policy)
  settle(result)
  return result.__typename === 'PolicyChanged' && result.position !== null
}
