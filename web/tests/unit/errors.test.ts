import { describe, expect, it } from 'vitest'

import { ApiError, graphqlErrorsMessage, httpFailure, messageOf, networkFailure, Refused, refusal } from '@/utils/errors'

describe('failures become the words a person reads', () => {
  it("shows the API's bilingual message of a refused sign-in as it is", () => {
    const error = httpFailure(401, { error: 'invalid_credentials', message: '账号或密码错误 / wrong account or password' }, 'zh-CN')
    expect(error.message).toBe('账号或密码错误 / wrong account or password')
    expect(error.code).toBe('invalid_credentials')
    expect(error.status).toBe(401)
  })

  it('says the session ended for a 401 without a message, in the chosen language', () => {
    expect(httpFailure(401, null, 'zh-CN').message).toBe('登录已过期，请重新登录')
    expect(httpFailure(401, null, 'en').message).toBe('Your session has ended; sign in again')
  })

  it('names the HTTP status of a failure the API did not explain', () => {
    expect(httpFailure(502, '<html>', 'en').message).toContain('HTTP 502')
  })

  it('joins GraphQL errors, each message once', () => {
    expect(graphqlErrorsMessage([{ message: '甲 / a' }, { message: '甲 / a' }, { message: '乙 / b' }])).toBe('甲 / a；乙 / b')
    expect(graphqlErrorsMessage([])).toBe('')
  })

  it('reads the GraphQL errors of a failed HTTP answer', () => {
    expect(httpFailure(400, { errors: [{ message: '查询无效 / bad query' }] }, 'en').message).toBe('查询无效 / bad query')
  })

  it("turns a refusal in a mutation's result union into the API's message", () => {
    const refused = refusal({ __typename: 'AlreadyClaimed', message: '已被签收 / already claimed' })
    expect(refused).toBeInstanceOf(Refused)
    expect(refused?.message).toBe('已被签收 / already claimed')
    expect(refused?.typename).toBe('AlreadyClaimed')
  })

  it('does not treat a change as a refusal', () => {
    expect(refusal({ __typename: 'ReferralChanged' })).toBeNull()
  })

  it('says the server cannot be reached when the network fails', () => {
    expect(networkFailure('zh-CN').message).toBe('无法连接服务器，请稍后重试')
  })

  it('gives a message for anything thrown', () => {
    expect(messageOf(new ApiError('甲 / a'), 'en')).toBe('甲 / a')
    expect(messageOf('?', 'en')).toBe('The action failed')
  })
})
