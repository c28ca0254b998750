// 审计: an item's trail with what the hash chain says of each event, its state as of a time
// or a version, the reporter-reveal log, and the lists an auditor picks an item from.
import { graphql } from '@/gql'

import { gql } from './http'

export const AUDIT_TRAIL = graphql(`
  query AuditTrail($id: ID!) {
    auditTrail(id: $id) {
      version at actor type topic integrity integrityWarning
      changes { field label beforeShown afterShown }
    }
  }
`)

export const ITEM_AS_OF = graphql(`
  query ItemAsOf($id: ID!, $at: DateTime, $version: Int) {
    itemAsOf(id: $id, at: $at, version: $version)
  }
`)

export const CLUE_REVEALS = graphql(`
  query ClueReveals($clueId: ID) {
    clueReveals(clueId: $clueId, first: 100) { clueId agency { id name } actor reason at }
  }
`)

export const AUDIT_NAMES = graphql(`
  query AuditNames {
    agencies { id name }
    campaigns { id title }
  }
`)

export const AUDIT_ISSUES = graphql(`
  query AuditIssues($first: Int!, $after: String) {
    issues(first: $first, after: $after, orderBy: UPDATED) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id number problem status leadAgency { id name } campaign { id title } } }
    }
  }
`)

export const AUDIT_CLUES = graphql(`
  query AuditClues($first: Int!, $after: String) {
    clues(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id statusLabel institution receivingAgency { id name } receivedAt revealCount } }
    }
  }
`)

export const PAGE_SIZE = 20

export function auditTrail(id: string) {
  return gql(AUDIT_TRAIL, { id })
}

export function itemAsOf(id: string, at: string | null, version: number | null) {
  return gql(ITEM_AS_OF, { id, at, version })
}

export function clueReveals(clueId: string | null) {
  return gql(CLUE_REVEALS, { clueId })
}

export function auditNames() {
  return gql(AUDIT_NAMES)
}

export function auditIssues(after: string | null) {
  return gql(AUDIT_ISSUES, { first: PAGE_SIZE, after })
}

export function auditClues(after: string | null) {
  return gql(AUDIT_CLUES, { first: PAGE_SIZE, after })
}

/** The case file's address (api/case_files.py): HTML for people, JSON for machines. */
export function caseFileUrl(id: string, format: 'html' | 'json' = 'html'): string {
  const path = `/case-files/${encodeURIComponent(id)}`
  return format === 'html' ? path : `${path}?format=json`
}
