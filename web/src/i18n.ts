// i18n.ts: every string the dashboard shows, in English and Simplified Chinese, and number and
// date formats per language. The language is remembered in localStorage ("ls.lang").

const en = {
  "app.title": "linesight",
  "app.subtitle": "Die-casting line",
  "nav.line": "Line",
  "nav.parts": "Parts",
  "nav.charts": "Charts",
  "nav.queue": "Review queue",
  "user.logout": "Log out",
  "lang.switch": "中文",
  "lang.switch.title": "切换到中文",
  "live.live": "Live",
  "live.reconnecting": "Reconnecting…",
  "live.offline": "Offline",
  "role.operator": "Operator",
  "role.quality_engineer": "Quality engineer",
  "role.admin": "Admin",

  "login.title": "Sign in",
  "login.user": "User name",
  "login.password": "Password",
  "login.submit": "Sign in",
  "login.failed": "Wrong user name or password.",

  "err.network": "The server cannot be reached. Check the network; the page retries on its own.",
  "err.forbidden": "Your role may not do this.",
  "err.not_found": "Not found.",
  "err.unavailable": "The store is unavailable. Try again shortly; nothing was stored.",
  "err.generic": "Request failed ({status}): {message}",
  "common.loading": "Loading…",
  "common.none": "—",
  "common.more": "More",
  "common.apply": "Apply",
  "common.reset": "Reset",
  "common.all": "All",
  "common.any": "Any",
  "common.back": "Back",

  "decision.pass": "Pass",
  "decision.reject": "Reject",
  "decision.hold": "Hold",
  "state.running": "Running",
  "state.stopped": "Stopped",
  "state.die_change": "Die change",

  "line.title": "Line overview",
  "line.shift_since": "Shift since {time}",
  "line.live_parts": "Parts received live: {n}",
  "line.die": "Die",
  "line.yield": "Yield this shift",
  "line.parts": "Parts",
  "line.rejects": "Rejects",
  "line.holds": "Holds",
  "line.since": "since {time}",
  "line.no_parts": "No parts yet",
  "line.no_machines": "No machine has reported yet.",
  "line.unplanned": "unplanned",

  "parts.title": "Part explorer",
  "parts.machine": "Machine",
  "parts.die": "Die",
  "parts.decision": "Decision",
  "parts.defect_type": "Defect type",
  "parts.from": "From",
  "parts.to": "To",
  "parts.min_score": "Min score",
  "parts.max_score": "Max score",
  "parts.unreviewed": "Unreviewed only",
  "parts.total": "{shown} of {total} parts",
  "parts.empty": "No parts match these filters.",
  "col.time": "Time",
  "col.part": "Part",
  "col.machine": "Machine",
  "col.die": "Die",
  "col.shot": "Shot",
  "col.decision": "Decision",
  "col.score": "Score / threshold",
  "col.defect": "Defect",
  "col.review": "Review",

  "detail.title": "Part {id}",
  "detail.line_decision": "Line decision",
  "detail.reason": "Hold reason",
  "detail.station": "Station",
  "detail.shot": "Shot",
  "detail.die_shot": "Die shot",
  "detail.time": "Shot time",
  "detail.model": "Model",
  "detail.risk": "Defect risk at the station (process values, before inspection)",
  "detail.latency": "Latency (trigger to result)",
  "detail.inspect_ms": "Inspection time",
  "detail.view": "View “{view}”",
  "detail.score": "Score {score} / threshold {threshold}",
  "detail.findings": "Findings",
  "detail.no_findings": "No findings",
  "detail.heatmap": "Heatmap",
  "detail.boxes": "Defect boxes",
  "detail.no_image": "Image not kept",
  "detail.process": "Process values at this shot",
  "detail.process_none": "Not measured for this shot",
  "detail.reviews": "Reviews",
  "detail.no_reviews": "Not reviewed yet",
  "detail.review_form": "Review this part",
  "detail.verdict_pass": "Good (pass)",
  "detail.verdict_reject": "Bad (reject)",
  "detail.confirms": "This confirms the line's decision.",
  "detail.overrules": "This overrules the line's decision.",
  "detail.judges": "This judges a held part.",
  "detail.note": "Note",
  "detail.submit": "Save review",
  "detail.saved": "Review saved.",
  "detail.finding_line": "{type}: box {w}×{h} px at ({x}, {y}), peak {peak}",

  "review.by": "{user}, {time}",
  "review.verdict": "judged {verdict}",

  "proc.melt_temp_c": "Melt temperature",
  "proc.die_temp_c": "Die temperature",
  "proc.fast_shot_mps": "Fast shot speed",
  "proc.intensification_bar": "Intensification pressure",
  "proc.spray_s": "Die spray time",
  "proc.vacuum_mbar": "Cavity vacuum",
  "proc.cycle_s": "Cycle time",

  "defect.none": "(none)",
  "defect.anomaly": "Anomaly",
  "defect.blow_hole": "Blow hole",
  "defect.pin_hole": "Pin hole",
  "defect.crack": "Crack",
  "defect.flash": "Flash",
  "defect.edge_chip": "Edge chip",
  "defect.cold_shut": "Cold shut",
  "defect.raised_line": "Raised line (die vein)",
  "defect.die_mark": "Die mark (recurs on the die's parts)",
  "defect.other": "Other",

  "reason.shift_start": "shift start",
  "reason.break": "break",
  "reason.shift_end": "shift end",
  "reason.shift_change": "shift change",
  "reason.restart": "restart",
  "reason.die_change": "die change",
  "reason.die_failure": "die failure",
  "reason.machine_fault": "machine fault",
  "reason.bad_image": "bad image",
  "reason.part_not_found": "part not found",
  "reason.deadline": "deadline missed",
  "reason.no_model": "no model",
  "reason.internal": "internal error",
  "reason.out_of_focus": "out of focus",
  "reason.saturated": "saturated",
  "reason.exposure": "exposure",
  "reason.part_at_edge": "part at edge",
  "reason.camera": "camera",
  "reason.outbox": "outbox",

  "charts.title": "Charts",
  "charts.range": "Time range",
  "charts.range.shift": "This shift",
  "charts.range.24h": "Last 24 h",
  "charts.range.7d": "Last 7 days",
  "charts.range.30d": "Last 30 days",
  "charts.yield_machine": "Yield per machine",
  "charts.yield_shift": "Yield per shift",
  "charts.pareto": "Defect Pareto",
  "charts.reject_rate": "Reject rate over time",
  "charts.fpy": "First-pass yield",
  "charts.yield": "Yield after review",
  "charts.parts": "Parts",
  "charts.cumulative": "Cumulative %",
  "charts.reject_pct": "Reject %",
  "charts.hold_pct": "Hold %",
  "charts.no_data": "No data in this range",
  "charts.oee": "OEE per machine (ISO 22400-2)",
  "charts.downtime": "Downtime by reason",
  "charts.downtime_h": "Downtime",
  "charts.availability": "Availability",
  "charts.effectiveness": "Effectiveness",
  "charts.quality": "Quality",
  "charts.planned": "planned",
  "charts.unplanned": "unplanned",
  "nav.spc": "SPC",
  "spc.title": "Statistical process control",
  "spc.machine": "Machine",
  "spc.variable": "Process value",
  "spc.rules": "Run rules",
  "spc.rules.we": "Western Electric 1–4",
  "spc.rules.nelson": "Nelson 1–8",
  "spc.individuals": "Individuals chart",
  "spc.moving_range": "Moving range",
  "spc.reject_chart": "Reject rate (Laney p′ chart, hourly)",
  "spc.value": "Value",
  "spc.centre": "Centre",
  "spc.ucl": "UCL",
  "spc.lcl": "LCL",
  "spc.alarms": "Alarms",
  "spc.no_alarms": "No rule tripped: the process is in control over these points.",
  "spc.causes": "Causes of rejects (latest {n} shots)",
  "spc.causes_none": "No cause can be claimed from these shots.",
  "spc.cause_rr": "Relative risk (95% CI)",
  "spc.cause_rejects": "Rejects inside",
  "spc.cause_weak": "weak evidence",
  "spc.cause_explained": "explained by {by}",
  "spc.cause_own": "{n} of its own",
  "spc.cause_shares": "mostly where {with} holds too",
  "spc.cause_across": "against the other groups' shots",
  "spc.cause_condition": "Condition",
  "spc.risk_part": "Part",
  "spc.risk_why": "Raised most by",
  "spc.risk": "Defect risk of the newest {n} shots, from process values alone",
  "spc.risk_fit": "Learnt from the {fit} shots before them ({rejects} rejected). On these shots the risk ranks the line's verdicts with AUROC {auroc}; it rises most with {drivers}.",
  "spc.risk_none": "No risk model: {why}",
  "spc.risk_value": "Risk of scrap",
  "spc.risk_rejected": "Rejected by the line",
  "spc.risk_top": "Riskiest shots and why",
  "spc.no_limits": "No control limits: {why}",
  "spc.baseline": "Limits from the first {n} points (phase I); {m} not measured.",
  "spc.rule": "Rule",
  "spc.when": "When",
  "spc.where": "Part / period",
  "spc.pick_machine": "No machine has sent parts yet.",

  "queue.title": "Review queue",
  "queue.hint": "Unreviewed rejects and holds, and borderline passes (score above 0.8 × threshold).",
  "queue.confirm": "Confirm",
  "queue.overrule": "Overrule",
  "queue.good": "Good",
  "queue.bad": "Bad",
  "queue.empty": "Nothing to review.",
  "queue.done": "{id}: saved as {verdict}.",
  "nav.alerts": "Alerts",
  "alerts.title": "Alerts",
  "alerts.hint": "Raised by the server: a machine's reject rate above its p-chart, a process value that leaves its usual range and stays out, a die near its expected life, a mark that recurs at one place of a die's parts and grows (a die crack), flash on more and more of a die's parts.",
  "alerts.seen_on": "Last seen on part {part}",
  "alerts.show_all": "Show acknowledged too",
  "alerts.empty": "No open alerts.",
  "alerts.empty_all": "No alerts yet.",
  "alerts.severity.warning": "Warning",
  "alerts.severity.alarm": "Alarm",
  "alerts.first": "First seen",
  "alerts.last": "Last seen",
  "alerts.count": "Times",
  "alerts.note": "Note (optional)",
  "alerts.ack": "Acknowledge",
  "alerts.acked": "Acknowledged by {user} at {time}",
  "alerts.done": "Alert {id} acknowledged.",
  "alerts.new": "New alert: {title}",
  "alerts.shown_open": "Showing the newest {shown} of {open} open alerts",
  "alerts.shown_all": "Showing the newest {shown} of {total} alerts, acknowledged ones included ({open} open)",
  "alerts.shown_open_end": "Showing all {shown} open alerts",
  "alerts.shown_all_end": "Showing all {shown} alerts, acknowledged ones included ({open} open)",
  "alerts.more": "Show older alerts",
};

export type Key = keyof typeof en;
export type Lang = "en" | "zh";

const zh: Record<Key, string> = {
  "app.title": "linesight",
  "app.subtitle": "压铸生产线",
  "nav.line": "产线",
  "nav.parts": "零件",
  "nav.charts": "图表",
  "nav.queue": "复判队列",
  "user.logout": "退出登录",
  "lang.switch": "English",
  "lang.switch.title": "Switch to English",
  "live.live": "实时",
  "live.reconnecting": "正在重连…",
  "live.offline": "离线",
  "role.operator": "操作员",
  "role.quality_engineer": "质量工程师",
  "role.admin": "管理员",

  "login.title": "登录",
  "login.user": "用户名",
  "login.password": "密码",
  "login.submit": "登录",
  "login.failed": "用户名或密码错误。",

  "err.network": "无法连接服务器。请检查网络；页面会自动重试。",
  "err.forbidden": "您的角色无权执行此操作。",
  "err.not_found": "未找到。",
  "err.unavailable": "数据存储暂不可用。请稍后重试；未保存任何内容。",
  "err.generic": "请求失败（{status}）：{message}",
  "common.loading": "加载中…",
  "common.none": "—",
  "common.more": "更多",
  "common.apply": "应用",
  "common.reset": "重置",
  "common.all": "全部",
  "common.any": "不限",
  "common.back": "返回",

  "decision.pass": "合格",
  "decision.reject": "不合格",
  "decision.hold": "待定",
  "state.running": "运行中",
  "state.stopped": "停机",
  "state.die_change": "换模",

  "line.title": "产线总览",
  "line.shift_since": "本班次开始于 {time}",
  "line.live_parts": "实时收到零件：{n}",
  "line.die": "模具",
  "line.yield": "本班次良率",
  "line.parts": "零件数",
  "line.rejects": "不合格",
  "line.holds": "待定",
  "line.since": "自 {time}",
  "line.no_parts": "暂无零件",
  "line.no_machines": "尚无机台上报。",
  "line.unplanned": "非计划",

  "parts.title": "零件查询",
  "parts.machine": "机台",
  "parts.die": "模具",
  "parts.decision": "判定",
  "parts.defect_type": "缺陷类型",
  "parts.from": "开始时间",
  "parts.to": "结束时间",
  "parts.min_score": "最低分数",
  "parts.max_score": "最高分数",
  "parts.unreviewed": "仅未复判",
  "parts.total": "显示 {shown} / 共 {total} 个零件",
  "parts.empty": "没有符合条件的零件。",
  "col.time": "时间",
  "col.part": "零件",
  "col.machine": "机台",
  "col.die": "模具",
  "col.shot": "压射号",
  "col.decision": "判定",
  "col.score": "分数 / 阈值",
  "col.defect": "缺陷",
  "col.review": "复判",

  "detail.title": "零件 {id}",
  "detail.line_decision": "产线判定",
  "detail.reason": "待定原因",
  "detail.station": "检测站",
  "detail.shot": "压射号",
  "detail.die_shot": "模具压射数",
  "detail.time": "压射时间",
  "detail.model": "模型",
  "detail.risk": "工位判定的缺陷风险（仅凭工艺参数，检测之前）",
  "detail.latency": "延迟（触发到结果）",
  "detail.inspect_ms": "检测耗时",
  "detail.view": "视角“{view}”",
  "detail.score": "分数 {score} / 阈值 {threshold}",
  "detail.findings": "检出缺陷",
  "detail.no_findings": "无缺陷",
  "detail.heatmap": "热力图",
  "detail.boxes": "缺陷框",
  "detail.no_image": "图像未保存",
  "detail.process": "本次压射的工艺参数",
  "detail.process_none": "本次压射未测量",
  "detail.reviews": "复判记录",
  "detail.no_reviews": "尚未复判",
  "detail.review_form": "复判此零件",
  "detail.verdict_pass": "良品（合格）",
  "detail.verdict_reject": "不良品（不合格）",
  "detail.confirms": "此操作确认产线判定。",
  "detail.overrules": "此操作推翻产线判定。",
  "detail.judges": "此操作判定一个待定零件。",
  "detail.note": "备注",
  "detail.submit": "保存复判",
  "detail.saved": "复判已保存。",
  "detail.finding_line": "{type}：位置 ({x}, {y})，大小 {w}×{h} 像素，峰值 {peak}",

  "review.by": "{user}，{time}",
  "review.verdict": "判为{verdict}",

  "proc.melt_temp_c": "熔液温度",
  "proc.die_temp_c": "模具温度",
  "proc.fast_shot_mps": "快压射速度",
  "proc.intensification_bar": "增压压力",
  "proc.spray_s": "喷涂时间",
  "proc.vacuum_mbar": "型腔真空度",
  "proc.cycle_s": "循环时间",

  "defect.none": "（无）",
  "defect.anomaly": "异常",
  "defect.blow_hole": "气孔",
  "defect.pin_hole": "针孔",
  "defect.crack": "裂纹",
  "defect.flash": "飞边",
  "defect.edge_chip": "边缘缺损",
  "defect.cold_shut": "冷隔",
  "defect.raised_line": "凸起纹（模具裂纹）",
  "defect.die_mark": "模具痕（同一模具零件上重复出现）",
  "defect.other": "其他",

  "reason.shift_start": "班次开始",
  "reason.break": "休息",
  "reason.shift_end": "班次结束",
  "reason.shift_change": "交接班",
  "reason.restart": "重新启动",
  "reason.die_change": "换模",
  "reason.die_failure": "模具故障",
  "reason.machine_fault": "设备故障",
  "reason.bad_image": "图像异常",
  "reason.part_not_found": "未找到零件",
  "reason.deadline": "超时",
  "reason.no_model": "无模型",
  "reason.internal": "内部错误",
  "reason.out_of_focus": "失焦",
  "reason.saturated": "过曝饱和",
  "reason.exposure": "曝光异常",
  "reason.part_at_edge": "零件在边缘",
  "reason.camera": "相机故障",
  "reason.outbox": "发件箱",

  "charts.title": "图表",
  "charts.range": "时间范围",
  "charts.range.shift": "本班次",
  "charts.range.24h": "最近 24 小时",
  "charts.range.7d": "最近 7 天",
  "charts.range.30d": "最近 30 天",
  "charts.yield_machine": "各机台良率",
  "charts.yield_shift": "各班次良率",
  "charts.pareto": "缺陷帕累托图",
  "charts.reject_rate": "不合格率趋势",
  "charts.fpy": "一次合格率",
  "charts.yield": "复判后良率",
  "charts.parts": "零件数",
  "charts.cumulative": "累计 %",
  "charts.reject_pct": "不合格 %",
  "charts.hold_pct": "待定 %",
  "charts.no_data": "此时间范围内无数据",
  "charts.oee": "各机台设备综合效率 OEE（ISO 22400-2）",
  "charts.downtime": "停机时间（按原因）",
  "charts.downtime_h": "停机时间",
  "charts.availability": "可用率",
  "charts.effectiveness": "性能效率",
  "charts.quality": "质量合格率",
  "charts.planned": "计划内",
  "charts.unplanned": "计划外",
  "nav.spc": "SPC 控制图",
  "spc.title": "统计过程控制",
  "spc.machine": "机台",
  "spc.variable": "工艺参数",
  "spc.rules": "判异准则",
  "spc.rules.we": "西电准则 1–4",
  "spc.rules.nelson": "Nelson 准则 1–8",
  "spc.individuals": "单值控制图",
  "spc.moving_range": "移动极差",
  "spc.reject_chart": "不合格率（Laney p′ 控制图，每小时）",
  "spc.value": "数值",
  "spc.centre": "中心线",
  "spc.ucl": "上控制限",
  "spc.lcl": "下控制限",
  "spc.alarms": "报警",
  "spc.no_alarms": "未触发判异准则：这些点的过程处于受控状态。",
  "spc.causes": "不合格原因（最近 {n} 次压射）",
  "spc.causes_none": "这些压射的数据不足以认定任何原因。",
  "spc.cause_rr": "相对风险（95% 置信区间）",
  "spc.cause_rejects": "条件内的不合格数",
  "spc.cause_weak": "证据不足",
  "spc.cause_explained": "可由 {by} 解释",
  "spc.cause_own": "其中独有 {n}",
  "spc.cause_shares": "大多同时满足 {with}",
  "spc.cause_across": "与其他分组的生产对比",
  "spc.cause_condition": "条件",
  "spc.risk_part": "零件",
  "spc.risk_why": "主要由以下参数推高",
  "spc.risk": "最近 {n} 次压射的缺陷风险（仅依据工艺参数）",
  "spc.risk_fit": "模型由之前的 {fit} 次压射学得（其中 {rejects} 次不合格）。在这些压射上，风险对产线判定的排序 AUROC 为 {auroc}；影响最大的是 {drivers}。",
  "spc.risk_none": "无风险模型：{why}",
  "spc.risk_value": "报废风险",
  "spc.risk_rejected": "产线判为不合格",
  "spc.risk_top": "风险最高的压射及原因",
  "spc.no_limits": "无法计算控制限：{why}",
  "spc.baseline": "控制限取自前 {n} 个点（第一阶段）；{m} 个未测量。",
  "spc.rule": "准则",
  "spc.when": "时间",
  "spc.where": "零件 / 时段",
  "spc.pick_machine": "尚无机台上传零件。",

  "queue.title": "复判队列",
  "queue.hint": "未复判的不合格和待定零件，以及临界合格零件（分数高于 0.8 × 阈值）。",
  "queue.confirm": "确认",
  "queue.overrule": "推翻",
  "queue.good": "良品",
  "queue.bad": "不良品",
  "queue.empty": "没有待复判的零件。",
  "queue.done": "{id}：已保存为{verdict}。",
  "nav.alerts": "警报",
  "alerts.title": "警报",
  "alerts.hint": "由服务器发出：机器不合格率超出 p 控制图上限，工艺参数持续偏离其常规范围，模具接近预期寿命，同一模具的零件在同一位置反复出现并不断变大的痕迹（模具裂纹），模具的飞边零件越来越多。",
  "alerts.seen_on": "最近见于零件 {part}",
  "alerts.show_all": "同时显示已确认的",
  "alerts.empty": "没有未确认的警报。",
  "alerts.empty_all": "尚无警报。",
  "alerts.severity.warning": "警告",
  "alerts.severity.alarm": "报警",
  "alerts.first": "首次出现",
  "alerts.last": "最近出现",
  "alerts.count": "次数",
  "alerts.note": "备注（可选）",
  "alerts.ack": "确认",
  "alerts.acked": "由 {user} 于 {time} 确认",
  "alerts.done": "警报 {id} 已确认。",
  "alerts.new": "新警报：{title}",
  "alerts.shown_open": "显示最新的 {shown} 条，共 {open} 条未确认警报",
  "alerts.shown_all": "显示最新的 {shown} 条，共 {total} 条警报（含已确认的；其中 {open} 条未确认）",
  "alerts.shown_open_end": "已显示全部 {shown} 条未确认警报",
  "alerts.shown_all_end": "已显示全部 {shown} 条警报（含已确认的；其中 {open} 条未确认）",
  "alerts.more": "显示更早的警报",
};

export const dictionaries: Record<Lang, Record<Key, string>> = { en, zh };

// Defect types the line gives its findings (docs/algorithm.md, "Finding types") and people may
// label; others are shown as they come.
export const DEFECT_TYPES = ["anomaly", "blow_hole", "pin_hole", "crack", "flash", "edge_chip", "cold_shut", "raised_line", "die_mark", "other"];

// Units of the process variables (docs/records.md), in display order.
export const PROCESS_UNITS: [string, string][] = [
  ["melt_temp_c", "°C"],
  ["die_temp_c", "°C"],
  ["fast_shot_mps", "m/s"],
  ["intensification_bar", "bar"],
  ["spray_s", "s"],
  ["vacuum_mbar", "mbar"],
  ["cycle_s", "s"],
];

const STORAGE_KEY = "ls.lang";
let current: Lang | null = null;

// The language from a navigator.language value: Chinese for any "zh…", else English.
export function langFromNavigator(navLang: string | undefined): Lang {
  return navLang && navLang.toLowerCase().startsWith("zh") ? "zh" : "en";
}

export function getLang(): Lang {
  if (current) return current;
  let stored: string | null = null;
  try {
    stored = globalThis.localStorage?.getItem(STORAGE_KEY) ?? null;
  } catch {
    stored = null;
  }
  current =
    stored === "en" || stored === "zh" ? stored : langFromNavigator(globalThis.navigator?.language);
  return current;
}

export function setLang(lang: Lang): void {
  current = lang;
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, lang);
  } catch {
    // private mode: the choice lasts for this page only
  }
  if (globalThis.document) globalThis.document.documentElement.lang = locale();
}

// The BCP 47 locale for Intl formatting.
export function locale(lang: Lang = getLang()): string {
  return lang === "zh" ? "zh-CN" : "en-GB";
}

// The string for `key`, with {name} placeholders filled from `params` (as plain text).
export function t(key: Key, params: Record<string, string | number> = {}, lang: Lang = getLang()): string {
  const s = dictionaries[lang][key] ?? en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

// A defect type's display name; an unknown code is shown as it is.
export function defectName(code: string, lang: Lang = getLang()): string {
  if (!code) return t("defect.none", {}, lang);
  const key = `defect.${code}` as Key;
  return key in en ? t(key, {}, lang) : code;
}

// A machine-event or hold reason code's display name; an unknown code is shown as sent, with its
// underscores as spaces ("coolant_leak" -> "coolant leak"), so a new code still reads as words.
export function reasonName(code: string, lang: Lang = getLang()): string {
  const key = `reason.${code}` as Key;
  return key in en ? t(key, {}, lang) : code.replace(/_+/g, " ").trim() || code;
}

export function fmtNumber(v: number, digits = 0, lang: Lang = getLang()): string {
  if (!Number.isFinite(v)) return "—";
  return new Intl.NumberFormat(locale(lang), {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(v);
}

// 0.9734 -> "97.3%" (en) / "97.3%" (zh).
export function fmtPercent(fraction: number, digits = 1, lang: Lang = getLang()): string {
  if (!Number.isFinite(fraction)) return "—";
  return new Intl.NumberFormat(locale(lang), {
    style: "percent",
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(fraction);
}

// Full date and time, 24-hour clock, in the browser's time zone.
export function fmtDateTime(ms: number, lang: Lang = getLang()): string {
  if (!ms) return "—";
  return new Intl.DateTimeFormat(locale(lang), {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).format(new Date(ms));
}

export function fmtTime(ms: number, lang: Lang = getLang()): string {
  if (!ms) return "—";
  return new Intl.DateTimeFormat(locale(lang), {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).format(new Date(ms));
}

export function fmtShortDateTime(ms: number, lang: Lang = getLang()): string {
  return new Intl.DateTimeFormat(locale(lang), {
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(new Date(ms));
}
