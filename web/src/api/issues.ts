// 问题: the coordinator's verification inbox (issues submitted for verification).
import { graphql } from '@/gql'

import { gql, settle } from './http'

export const SUBMITTED_ISSUES = graphql(`
  query SubmittedIssues($first: Int!, $after: String) {
    issues(filter: { status: SUBMITTED }, first: $first, after: $after, orderBy: DUE) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node {
          id number problem status overdue
          campaign { id title }
          leadAgency { id name }
          deadline { kind dueDate text }
        }
      }
    }
  }
`)

// What every mutation of this file answers: the change, or the API's refusal in its words.
export const ISSUE_OUTCOME = graphql(`
  fragment IssueOutcome on IssueResult {
    __typename
    ... on IssueChanged { position }
    ... on NotAllowed { message }
    ... on InvalidTransition { message }
    ... on InvalidInput { message }
    ... on NotFound { message }
    ... on Conflict { message }
  }
`)

export const SIGN_OFF = graphql(`
  mutation SignOff($id: ID!, $comment: String!) {
    result: signOff(issueId: $id, comment: $comment) {
      ...IssueOutcome
    }
  }
`)

export const REJECT = graphql(`
  mutation RejectIssue($id: ID!, $reason: String!) {
    result: rejectIssue(issueId: $id, reason: $reason) {
      ...IssueOutcome
    }
  }
`)

export const PAGE_SIZE = 20

export function submittedIssues(after: string | null) {
  return gql(SUBMITTED_ISSUES, { first: PAGE_SIZE, after })
}


export async function signOff(id: string, comment: string): Promise<void> {
  settle((await gql(SIGN_OFF, { id, comment })).result)
}

export async function rejectIssue(id: string, reason: string): Promise<void> {
  settle((await gql(REJECT, { id, reason })).result)
}
