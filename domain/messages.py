"""Every refusal the domain gives, in one table: Chinese first, then English.

Each entry is `"中文 / English"` with `{named}` values (names, dates, numbers) filled in by
`says`. A refusal raised anywhere in domain/ takes its text from here, so a reader finds
every wording in one place and tests/unit/test_refusal_messages.py can check that none
lacks either language. The labels below name states, steps and kinds of item in Chinese
beside the English value that stays in the message (clients and logs match on it).
"""

from __future__ import annotations

from collections.abc import Mapping

SEPARATOR = " / "

# The kind of item a refusal is about, as `InvalidTransition`, `NotFound` and `Conflict`
# name it in English.
KINDS: dict[str, str] = {
    "agency": "单位",
    "agency alias": "单位别名",
    "calendar": "日历",
    "campaign": "专项行动",
    "case transfer": "移送涉嫌犯罪案件",
    "clue": "问题线索",
    "delivery": "通知投递",
    "discipline transfer": "移送纪检监察机关",
    "endpoint": "通知端点",
    "endpoints": "通知端点",
    "enforcement case": "行政处罚案件",
    "inspection": "检查记录",
    "issue": "问题",
    "item": "事项",
    "item state": "事项状态",
    "item version": "事项版本",
    "notification": "通知",
    "policy": "时限规则",
    "referral": "移送件",
    "account": "用户账号",
    "report": "报告",
    "reporting duty": "报送任务",
}

# States of the items whose aggregates have no label table of their own (clues, referrals
# and transfers keep theirs beside their status enums).
STATES: dict[str, dict[str, str]] = {
    "issue": {"OPEN": "整改中", "SUBMITTED": "待核验", "CLOSED": "已销号"},
    "delivery": {"PENDING": "待发送", "DELIVERED": "已送达", "FAILED": "发送失败"},
    "report": {"OPEN": "待报送", "SUBMITTED": "已报送"},
    "reporting duty": {"ACTIVE": "报送中", "ENDED": "已结束"},
}

# Steps of those items, by the English name the refusal gives them.
ACTIONS: dict[str, str] = {
    "report progress": "报告整改进展",
    "submit for verification": "提交核验",
    "sign off": "销号",
    "reject": "退回整改",
    "request an extension": "申请延期",
    "approve an extension": "批准延期",
    "deny an extension": "驳回延期申请",
    "reopen": "重新打开",
    "pause the clock": "暂停计时",
    "resume the clock": "恢复计时",
    "record a delivery": "记录送达",
    "end a reporting duty": "结束报送任务",
    "submit the report": "报送报告",
}

MESSAGES: dict[str, str] = {
    # -- the shapes of the error classes (domain/errors.py) ----------------------------
    "not_in_state": "{state_label}状态下不能{action_label} / "
    "cannot {action} while the {kind} is {state}",
    "refused_because": "不能{action_label}：{detail_label}（{kind_label}当前为{state_label}） / "
    "cannot {action}: {detail} (the {kind} is {state})",
    "not_found": "未找到{kind_label}：{key} / {kind} not found: {key}",
    "unknown_agencies": "未知单位：{names} / unknown agencies: {names}",
    "kept_changing": "{kind_label} {key} 被反复同时修改，请重试 / {kind} {key} kept changing; "
    "try again",
    "changed_concurrently": "已被同时修改，请重试 / changed concurrently; try again",
    "and_more": "另有 {count} 处问题 / and {count} more",
    "no_calendar": "没有{year}年的日历数据 / no calendar for {year}",
    "cannot_read_deadline": "无法识别时限'{text}' / cannot read '{text}'",
    # -- any item ------------------------------------------------------------------------
    "empty": "不能为空 / empty",
    "aware_time": "须为带时区（UTC偏移）的时间 / needs an aware date-time (with a UTC offset)",
    "not_a_year": "'{year}' 不是年份 / '{year}' is not a year",
    "year_outside_calendar": "{year}年超出日历支持范围（{first}–{last}年） / outside the years "
    "the calendar supports ({first}–{last})",
    "date_outside_calendar": "{day} 超出日历支持范围（{first}–{last}年） / outside the years "
    "the calendar supports ({first}–{last})",
    "is_a_group": "{name} 是单位组，请指定一个单位 / {name} is a group; name one agency",
    "agency_not_group": "{name} 是单位，不是单位组 / {name} is an agency, not a group",
    "name_is_agency": "已有同名单位{name}（不是单位组） / {name} already names an agency, "
    "not a group",
    "not_function": "{name} 不是{function_label} / {name} is not {function}",
    "alias_taken": "别名'{alias}'已指向另一单位 / '{alias}' already names another agency",
    "key_reused": "此键已用于另一请求，请为新操作使用新键 / this key was already used for "
    "another request; use a new key for a new operation",
    "terms_kept_changing": "专项行动 {campaign} 的{what_label}被反复同时修改，请重试 / "
    "{what} of {campaign} kept changing; try again",
    "policy_kept_changing": "专项行动 {campaign} 中{kind_label}的时限规则被反复同时修改，请重试 / "
    "the policy of {kind} in {campaign} kept changing; try again",
    "calendar_kept_changing": "{year}年日历被反复同时修改，请重试 / the calendar of {year} kept "
    "changing; try again",
    "notices_kept_changing": "{key} 的通知被反复同时修改，请重试 / notices of {key} kept "
    "changing; try again",
    "endpoints_kept_changing": "单位 {agency} 的通知端点被同时修改，请重试 / endpoints of "
    "{agency} changed concurrently; try again",
    # -- issues and campaigns ------------------------------------------------------------
    "no_measures": "至少须有一条整改措施 / at least one measure is required",
    "number_taken": "问题编号'{number}'在本专项行动中已存在 / '{number}' is already in this "
    "campaign",
    "lead_also_co": "牵头单位不能同时列为配合单位 / the lead agency is also listed as "
    "co-responsible",
    "reason_required": "须说明理由 / a reason is required",
    "not_responsible": "该单位不是本问题的责任单位 / this agency is not responsible for the issue",
    "extension_pending": "已有待审批的延期申请 / an extension request is pending",
    "no_extension_pending": "没有待审批的延期申请 / no extension request is pending",
    "ongoing_no_due": "长期坚持的问题没有可延期的完成时限 / an ongoing issue has no due date "
    "to extend",
    "extension_not_later": "申请的完成时限须晚于当前时限 / the requested date must be after "
    "the current one",
    "reopen_deadline_passed": "原完成时限{due}已过，重新打开须给出新的完成时限 / the deadline "
    "{due} has passed: give a new one",
    "reopen_deadline_before_today": "新的完成时限{due}早于今天 / the new deadline {due} is "
    "before today",
    "ongoing_no_clock": "长期坚持的问题没有可暂停的计时 / an ongoing issue has no clock to pause",
    "clock_already_paused": "计时已暂停 / the clock is already paused",
    "clock_not_paused": "计时未暂停 / the clock is not paused",
    "before_previous_pause": "早于上一次暂停的结束时间 / before the end of the previous pause",
    "before_pause": "早于所要结束的暂停 / before the pause it ends",
    "evidence_required": "本专项行动要求销号前提交整改佐证材料：该问题的进展报告中没有已上传的"
    "文件 / this campaign requires evidence before sign-off: no progress report of the issue "
    "carries an uploaded file",
    "bad_file_reference": "文件引用格式应为 sha256:加64位小写十六进制，而不是 {given} / a file "
    "reference is sha256: followed by 64 lowercase hex digits, not {given}",
    "phase_unnamed": "阶段名称为空 / the phase has no name",
    "phase_ends_before": "{name} 结束早于开始 / {name} ends before it starts",
    "phase_overlaps": "{name} 与 {other} 时间重叠 / {name} overlaps {other}",
    "category_empty": "机构类别为空 / the category is empty",
    "population_min": "机构数至少为 1 / population must be at least 1",
    "percent_range": "覆盖比例须在 1–100 之间 / the share must be 1–100 %",
    "threshold_min": "阈值至少为 1 / the threshold must be at least 1",
    "unknown_approvers": "未知的延期审批规则 {given}，可选：{known} / unknown rule {given}; "
    "known: {known}",
    "institution_unnamed": "机构名称为空 / the institution has no name",
    "case_number_empty": "案号为空 / the case number is empty",
    "case_already_filed": "案号 {number} 已由本单位立案 / case {number} is already filed by "
    "this agency",
    "inspection_in_future": "检查日期 {on} 晚于今天（{today}） / the inspection date {on} is "
    "after today ({today})",
    "versions_start_at_one": "版本从1开始 / versions start at 1",
    "versions_up_to": "只到版本 {last} / has {last} versions",
    "not_yet_existing": "在该时间之前不存在 / did not exist yet",
    # -- clues -----------------------------------------------------------------------------
    "not_a_channel": "'{channel}' 不是受理渠道 / '{channel}' is not a channel",
    "institution_or_person": "须写明被举报单位或个人 / name an institution or person",
    "anonymous_real_name": "匿名举报不能是实名 / anonymous cannot be real-name",
    "refer_to_oneself": "不能移送给本单位 / cannot refer to oneself",
    "handler_changes_with_referral": "仅随本线索的移送变更办理单位 / the handler changes only "
    "with its referral",
    "merge_into_itself": "不能与自身并案 / cannot merge into itself",
    "merge_same_handler": "只能并入本单位办理的线索 / may merge only into a clue the same "
    "agency handles",
    "merge_handler_only": "仅办理单位可以并案 / only the handling agency may merge",
    "already_merged": "该线索已并入 {into} / already merged into {into}",
    "concludes_with_own_referral": "仅随本线索的移送办结 / concludes only with its own referral",
    "concludes_with_referral": "随移送确认办结自动办结 / concludes when its referral is accepted",
    "no_reply_owed": "非实名举报，无需答复 / no reply is owed to a report that is not real-name",
    "already_replied": "已答复过举报人 / the reporter has already been replied to",
    "triage_first": "先分办再答复 / triage it first",
    "anonymous_no_identity": "匿名举报，无身份信息 / an anonymous report holds no identity",
    "reveal_handler_only": "仅办理单位可以查看举报人身份 / only the handling agency may "
    "reveal the reporter",
    "reply_days_positive": "'{days}' 不是正的工作日数 / '{days}' is not a positive number of "
    "working days",
    "reply_days_max": "'{days}' 超过365个工作日 / '{days}' is over 365 working days",
    "reporter_name_required": "实名举报须有姓名 / a named reporter has a name",
    "reporter_contact_required": "实名举报须留联系方式 / a named reporter leaves a contact",
    # -- referrals -------------------------------------------------------------------------
    "referral_reason_empty": "移送理由为空 / the reason is empty",
    "not_a_subject_kind": "'{kind}' 不是可关联的事项类型（clue/issue/case） / '{kind}' is not "
    "one of clue/issue/case",
    "subject_id_missing": "{kind_label}移送须注明所关联的{kind_label} / a {kind} referral names "
    "the {kind}",
    "subject_kind_missing": "须注明关联事项类型 / name the kind of subjectId",
    "no_such_subject": "没有这件{kind_label} / no such {kind}: {subject}",
    "link_own_subject_only": "subjectId：只能关联本单位的{kind_label} / subjectId: may link only "
    "a {kind} of the sending agency",
    "group_cannot_send": "{name} 是单位组，不能移送 / {name} is a group and cannot refer",
    "group_without_members": "{name} 没有成员单位 / {name} has no members",
    "handled_by_children": "分送各成员单位的移送由各子件办理 / handled through its children",
    "return_after_claim_needs_detail": "签收后退回须说明理由 / a return after claiming needs "
    "a detail",
    "already_assigned": "已指派给{name} / already with {name}",
    "not_back_to_sender": "不能指派给移送单位 / cannot go back to the sender",
    "not_a_child": "{child} 不是本移送件的分送件 / {child} is not a child of this referral",
    "working_days_range": "'{value}' 不是1到365之间的工作日数 / '{value}' is not a number of "
    "working days from 1 to 365",
    "already_claimed": "已被{name}签收 / already claimed by {name} ({by})",
    "only_role_agency": "仅{role_label}{name}可以{action_label} / only the {role} agency {name} "
    "may {action}",
    # -- case transfers --------------------------------------------------------------------
    "only_agency": "仅{name}可以{action_label} / only {name} may {action}",
    "facts_empty": "案情为空 / the facts are empty",
    "transfer_to_oneself": "不能移送给本单位 / cannot transfer to oneself",
    "link_own_case_only": "只能关联本单位移送的案件 / only a case transfer of the sending agency "
    "may be linked",
    "reconsideration_window_over": "提请复议期限已于{ended}届满 / the period to ask ended on "
    "{ended}",
    "must_be_procuratorate": "须为人民检察院 / must be the procuratorate",
    "must_be_other_police": "须为另一有管辖权的公安机关 / must be another competent police agency",
    "refusal_needs_reasons": "不予立案须说明理由 / a refusal needs its reasons",
    # -- clocks, calendars, policies -------------------------------------------------------
    "not_a_period": "'{text}' 不是期限，应如 3wd、15d、24h / '{text}' is not a period; expected "
    "e.g. 3wd, 15d, 24h",
    "not_a_count": "'{count}' 不是0或正整数 / '{count}' is not a whole number of 0 or more",
    "negative_working_time": "工作时间不能为负 / working time cannot be negative",
    "not_a_rung_name": "'{name}' 不是节点名（不能含':'） / '{name}' is not a rung name (no ':' "
    "allowed)",
    "repeated_rungs": "节点重复：{names} / repeated rung: {names}",
    "not_a_kind_name": "'{kind}' 不是类型名 / '{kind}' is not a kind name",
    "not_a_clocked_kind": "'{kind}' 不是计时事项类型 / '{kind}' is not a clocked kind",
    "not_clock_protocol": "'{kind}'类事项不支持计时 / '{kind}' items do not implement the clock "
    "protocol",
    "policy_needs_rung": "时限规则至少须有一个节点 / a policy needs at least one rung",
    "unknown_rung_kind": "'{given}' 不是节点类型，可选：{kinds} / '{given}'; expected {kinds}",
    "not_a_policy_version": "{version} 不是本规则的版本 / {version} is not a version of this "
    "policy",
    "not_whole_number": "'{n}' 不是整数 / '{n}' is not a whole number",
    "negative_period": "{n} 为负数，期限不能倒数 / {n} is negative; a period cannot run backwards",
    "hours_need_time": "以小时计的期限须有具体时间 / a period in hours needs a date and time",
    "not_a_date_list": "须为日期列表（YYYY-MM-DD） / must be a list of dates (YYYY-MM-DD)",
    "not_a_date": "'{value}' 不是日期（YYYY-MM-DD） / '{value}' is not a date (YYYY-MM-DD)",
    "day_not_in_year": "{day} 不在{year}年内 / {day} is not in {year}",
    "day_also_holiday": "{day} 同时列为节假日 / {day} is also listed as a holiday",
    "weekday_adjusted": "{day} 是工作日，只能调整周六或周日 / {day} is a weekday; only a "
    "Saturday or Sunday can be adjusted",
    # a calendar file (rectify/calendar_data.py)
    "calendar_file_unreadable": "无法读取 / cannot read: {error}",
    "calendar_not_json": "第{line}行第{column}列：不是有效的 JSON / line {line}, column {column}: "
    "not JSON ({error})",
    "calendar_not_object": "应为含 year、holidays、working_days 的对象 / expected an object "
    "with year, holidays, working_days",
    "calendar_unknown_field": "{key}：未知字段，可用：{known} / {key}: unknown field; expected "
    "one of {known}",
    "calendar_year": "year：{given}，应如 2027 / year: {given}; expected e.g. 2027",
    "calendar_holidays_missing": "holidays：缺少，应为日期列表（YYYY-MM-DD） / holidays: "
    "missing; expected a list of dates (YYYY-MM-DD)",
    "calendar_source_text": "source：应为文本 / source: expected text",
    "calendar_not_a_list": "{name}：应为日期列表（YYYY-MM-DD） / {name}: expected a list of dates "
    "(YYYY-MM-DD)",
    "calendar_kind_missing": "第{row}行 kind：缺少，应为 holiday 或 working_day / row {row}, "
    "kind: missing; expected holiday or working_day",
    "calendar_row_not_a_date": "第{row}行 date：'{text}' 不是日期（YYYY-MM-DD） / row {row}, "
    "date: '{text}' is not a date (YYYY-MM-DD)",
    "calendar_row_other_year": "第{row}行 date：{day} 不在{year}年内（一个文件一年） / row {row}, "
    "date: {day} is not in {year} (one year a file)",
    "calendar_unknown_kind": "第{row}行 kind：'{kind}'，应为 holiday 或 working_day / row {row}, "
    "kind: '{kind}'; expected holiday or working_day",
    "calendar_no_dates": "没有日期，每行一天：2027-01-01,holiday / no dates found; one line per "
    "day: 2027-01-01,holiday",
    "calendar_actor_missing": "须写明由谁导入日历 / empty; say who loads the calendar",
    "calendar_source_missing": "须写明日期所依据的通知或文件 / empty; name the notice or file "
    "the days come from",
    "no_official_data": "没有官方数据，也没有农历换算 / no official data and no lunar "
    "conversion given",
    "no_lunar_dates": "无法换算农历日期（{error}） / lunar dates unavailable ({error})",
    "needs_lunar": "{name}的日期需要农历换算，请直接写日期 / {name} needs a lunar conversion; "
    "write the date instead",
    "no_year": "没有写明年份 / no year",
    "no_such_date": "日期不存在 / no such date: {error}",
    # -- notices and reports ---------------------------------------------------------------
    "webhook_url": "回调地址须以 http:// 或 https:// 开头 / a webhook needs an http:// or "
    "https:// URL",
    "secret_too_short": "签名密钥至少 {least} 个字符 / the signing secret needs at least "
    "{least} characters",
    "not_an_email": "'{address}' 不是邮箱地址 / '{address}' is not an e-mail address",
    "attempt_from_one": "尝试次数从1开始 / attempts count from 1",
    "not_a_day_of_month": "'{day}' 不是每月的日期（1–31） / '{day}' is not a day of the month "
    "(1–31)",
    "one_agency_must_report": "至少须有一个报送单位 / at least one agency must report",
    "report_not_owed": "该单位无须报送此报告 / this agency does not owe this report",
    "already_submitted": "已报送 / already submitted",
    # -- a ledger import (domain/ledger_rows.py, rectify/ledger_files.py) -----------------
    "two_columns": "同一字段（{name}）有两列：{quoted}，请只保留一列 / two columns for one field "
    "({name}): {quoted}; keep one",
    "column_missing": "缺少此列 / column is missing",
    "number_repeats": "编号'{number}'与第{first}行重复 / '{number}' repeats row {first}",
    "no_responsible": "没有责任单位 / no responsible agency",
    "no_rows": "文件中没有数据行 / no rows",
    "in_header": "表头{problem_label} / the header {problem}",
    "in_name": "名称'{name}…'：{problem_label} / the name '{name}…': {problem}",
    "no_header_row": "找不到表头行 / no header row",
    "not_text_file": "不是 UTF-8 或 GB18030 文本 / not UTF-8 or GB18030 text",
    "workbook_unreadable": "无法打开工作簿 / cannot open workbook: {error}",
    "workbook_without_sheet": "工作簿中没有工作表 / the workbook has no sheet",
    "workbook_broken_after": "工作簿第{row}行之后无法读取 / cannot read workbook after row "
    "{row}: {error}",
    "not_json": "不是有效的 JSON / not JSON: {error}",
    "json_shape": '应为对象列表，或 {{"issues": [...]}} / expected a list of objects, or '
    '{{"issues": [...]}}',
    "unsupported_file": "不支持的文件类型'{suffix}'，请用 .csv、.xlsx 或 .json / unsupported type "
    "'{suffix}'; use .csv, .xlsx or .json",
    "file_missing": "{path} 不存在 / {path} does not exist",
    "unknown_agency_in_row": "未知单位'{name}'：请先用 `rectify agency add` 添加，或导入时加 "
    "--create-agencies / unknown agency '{name}': add it with `rectify agency add`, or import "
    "with --create-agencies",
    # -- the API's own refusals (api/) ----------------------------------------------------
    "which_agency_reports": "须指明报送单位（调用者未关联单位） / which agency reports? (the "
    "caller has none)",
    "deadline_or_text": "须给出新的完成日期（newDueDate）或时限文字（deadlineText） / give "
    "newDueDate or deadlineText",
    "missing_token": "缺少令牌 / missing bearer token",
    "missing_token_on_connect": "connection_init 未带令牌 / connection_init: no bearer token",
    "invalid_token": "令牌无效 / invalid token: {error}",
    "unknown_signing_key": "未知签名密钥 / unknown signing key: {error}",
    # -- reporter identity keys (configuration, refused at start) --------------------------
    "key_format": "{variable}：'{kid}' 格式应为 'kid:base64key' / {variable}: '{kid}' is not "
    "'kid:base64key'",
    "key_not_base64": "{variable}：密钥'{kid}'不是 base64 / {variable}: key '{kid}' is not base64",
    "key_not_32_bytes": "{variable}：密钥'{kid}'不是32字节 / {variable}: key '{kid}' is not "
    "32 bytes",
    "no_key": "{variable}：没有密钥 / {variable}: no key",
    "dev_key_in_production": "{variable}：生产模式不得使用公开的开发密钥 / production refuses "
    "the published development key (kid '{kid}')",
    "production_needs_keys": "{variable}：生产模式须配置举报人身份密钥 / production needs "
    "identity keys",
    "key_not_configured": "{variable}：未配置密钥'{kid}' / {variable}: key '{kid}' is not "
    "configured",
    # -- web accounts (domain/accounts.py) ----------------------------------------------
    "username_length": "用户名须为 2 至 {most} 个字符 / a user name has 2 to {most} characters",
    "username_characters": "用户名只能含字母、数字和 {allowed} / a user name holds only "
    "letters, digits and {allowed}",
    "username_taken": "用户名 {name} 已存在 / user name {name} is taken",
    "password_too_short": "密码至少 {least} 个字符 / a password has at least {least} characters",
    "password_too_long": "密码至多 {most} 个字符 / a password has at most {most} characters",
    "password_blank_or_control": "密码不能以空白开头或结尾，也不能含控制字符 / a password "
    "neither starts nor ends with white space and holds no control characters",
    "unknown_role": "未知角色 {role} / unknown role {role}; one of {roles}",
    "role_needs_agency": "{role} 须代表一个单位 / a {role} speaks for an agency: name it",
    "region_only_leadership": "只有领导可限定地区 / only leadership is limited to a region",
    "no_role_held": "该账号没有角色 / the account holds no role",
    "identity_does_not_open": "举报人身份无法用密钥'{kid}'解开 / sealed identity does not open "
    "with key '{kid}'",
}


def says(key: str, /, **values: object) -> str:
    """The message `key` with its values filled in: `"中文 / English"`."""
    return MESSAGES[key].format(**values)


def halves(message: str) -> tuple[str, str]:
    """The Chinese and the English of a message (all Chinese if it has no English)."""
    chinese, _, english = message.partition(SEPARATOR)
    return chinese, english


def joined(message: str, detail: str) -> str:
    """`message` with `detail` in brackets, each language with its own:
    `"已答复（线索当前为已移送） / already replied (the clue is REFERRED)"`."""
    (zh, en), (detail_zh, detail_en) = halves(message), halves(detail)
    return f"{zh}（{detail_zh}）{SEPARATOR}{en} ({detail_en})"


def label(labels: Mapping[str, str], key: str) -> str:
    """The Chinese label of `key`, or `key` itself where the table has none."""
    return labels.get(key, key)
