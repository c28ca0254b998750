// 单位组: agency groups and their members (api/agencies.py); the agencies themselves are
// listed by `agencies()` of api/referrals.ts, which every addressing form shares.
import { graphql } from '@/gql'

import { gql, settle } from './http'

export const AGENCY_GROUPS = graphql(`
  query AgencyGroups {
    agencyGroups { agency { id name } members { id name } }
  }
`)

export const GROUP_OUTCOME = graphql(`
  fragment GroupOutcome on AgencyResult {
    __typename
    ... on AgencyChanged { position }
    ... on NotAllowed { message }
    ... on InvalidInput { message field }
    ... on NotFound { message }
    ... on Conflict { message }
  }
`)

export const CREATE_AGENCY_GROUP = graphql(`
  mutation CreateAgencyGroup($name: String!) {
    result: createAgencyGroup(name: $name) { ...GroupOutcome }
  }
`)

export const ADD_GROUP_MEMBER = graphql(`
  mutation AddGroupMember($group: ID!, $agency: ID!) {
    result: addGroupMember(group: $group, agency: $agency) { ...GroupOutcome }
  }
`)

export const REMOVE_GROUP_MEMBER = graphql(`
  mutation RemoveGroupMember($group: ID!, $agency: ID!) {
    result: removeGroupMember(group: $group, agency: $agency) { ...GroupOutcome }
  }
`)

export async function agencyGroups() {
  return (await gql(AGENCY_GROUPS)).agencyGroups
}

export async function createAgencyGroup(name: string): Promise<void> {
  settle((await gql(CREATE_AGENCY_GROUP, { name })).result)
}

export async function addGroupMember(group: string, agency: string): Promise<void> {
  settle((await gql(ADD_GROUP_MEMBER, { group, agency })).result)
}

export async function removeGroupMember(group: string, agency: string): Promise<void> {
  settle((await gql(REMOVE_GROUP_MEMBER, { group, agency })).result)
}
