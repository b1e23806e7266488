"""Demo acceptance for seed_demo, over its 18 pilot institutions JG017–JG034, whose October 2026
payroll ops/demo/payroll.py confirmed (so a November batch's payroll criterion is met),
entered through the services like real work (checked and audited):

* the default standard: four items ticked on site and 工资按系统发放, checked from payroll;
* team 验收一组: the demo `acceptance` user and `hr`;
* 第一批 (2026-11-05, closed): JG017 JG018 JG019 JG023 JG024 JG025, every item checked; all passed
  (on to the trial run) except JG019, failed: its on-site training was not done;
* 第二批 (2026-11-26, in progress): JG019 in round 2, JG020 JG026 JG029 JG030 JG031; JG019 and
  JG029 fully ticked, JG030 half;
* 第三批 (2026-12-10, planned): JG021 JG022 JG027 JG028 JG032 JG033 (JG034 is not ready);
* weekly reports, submitted by each head, for the four weeks up to the week of the seeding day (so
  the rollout board has a "this week"): JG022, JG028 and JG033 have not reported this week, JG033
  not last week either, and JG034 lags far behind the others.

Deterministic apart from those weeks; skipped when a standard exists already."""

import datetime

from django.db import transaction
from django.utils import timezone

from acceptance import services
from acceptance.models import Inspection, Standard, StandardItem, Team, week_start
from acceptance.tasks import flag_missing_reports
from orgs.models import Institution, Role, Stage, User

TEAM = "验收一组"
BATCHES = [
    # name, date, institutions (the failed one of the first batch comes back in the second)
    ("第一批", datetime.date(2026, 11, 5), ["JG017", "JG018", "JG019", "JG023", "JG024", "JG025"]),
    ("第二批", datetime.date(2026, 11, 26), ["JG019", "JG020", "JG026", "JG029", "JG030", "JG031"]),
    ("第三批", datetime.date(2026, 12, 10), ["JG021", "JG022", "JG027", "JG028", "JG032", "JG033"]),
]
FAILED = "JG019"  # 第一批: training not done
TICKED_IN_PROGRESS = {"JG019": 4, "JG029": 4, "JG030": 2}  # 第二批: how many items ticked so far

REPORT_WEEKS = 4
NOT_THIS_WEEK = {"JG022", "JG028", "JG033"}
NOT_LAST_WEEK = {"JG033"}
LAGGING = "JG034"
# Latest progress by stage; each week before it three points less.
PROGRESS = {
    Stage.SETUP: 60,
    Stage.DATA: 65,
    Stage.TRAINING: 70,
    Stage.ACCEPTANCE: 78,
    Stage.TRIAL: 88,
    Stage.FORMAL: 100,
}
LAGGING_PROGRESS = [20, 22, 24, 26]
NOTES = {
    Stage.SETUP: ("服务器到货晚于计划", "完成应用部署和网络联调"),
    Stage.DATA: ("部分员工档案字段不全", "补齐岗位和工资基础数据"),
    Stage.TRAINING: ("", "组织第二轮操作培训"),
    Stage.ACCEPTANCE: ("", "整理验收材料，配合现场验收"),
    Stage.TRIAL: ("", "试运行：按系统核算结果发放工资"),
    Stage.FORMAL: ("", ""),
}
LAGGING_NOTES = ("网络专线尚未开通，环境搭建停滞", "协调信息中心尽快开通专线")


def _tick_all(member, inspection, items, count=None, unmet=()):
    for item in items[:count]:
        services.tick_save(
            actor=member,
            inspection=inspection,
            item=item,
            met=item.code not in unmet,
            note="培训签到表缺失，需补训" if item.code in unmet else "现场核实",
        )


def _reports(pilots: list[Institution], today: datetime.date) -> int:
    this_week = week_start(today)
    count = 0
    for inst in pilots:
        for k in range(REPORT_WEEKS):  # 0: three weeks ago … 3: this week
            weeks_ago = REPORT_WEEKS - 1 - k
            if (weeks_ago == 0 and inst.code in NOT_THIS_WEEK) or (
                weeks_ago == 1 and inst.code in NOT_LAST_WEEK
            ):
                continue
            if inst.code == LAGGING:
                progress, (problems, next_steps) = LAGGING_PROGRESS[k], LAGGING_NOTES
            else:
                progress = PROGRESS[inst.stage] - 3 * weeks_ago
                problems, next_steps = NOTES[inst.stage]
            services.weekly_report_submit(
                actor=inst.head,
                institution=inst,
                day=this_week - datetime.timedelta(weeks=weeks_ago),
                stage=inst.stage,
                progress=progress,
                problems=problems,
                next_steps=next_steps,
            )
            count += 1
    return count


def _passed_in_trial() -> None:
    """A passed institution is in the trial run (services.inspection_decide moved it there), but
    a second run of seed_demo resets every pilot's stage from its plan: put them back."""
    order = list(Stage.values)
    before_trial = order[: order.index(Stage.TRIAL)]
    Institution.objects.filter(
        pk__in=Inspection.objects.filter(result=Inspection.Result.PASSED).values("institution"),
        stage__in=before_trial,
    ).update(stage=Stage.TRIAL)


@transaction.atomic
def seed_acceptance(*, hr: User) -> int:
    """Returns the number of inspections made (0 when the demo acceptance exists already)."""
    if Standard.objects.exists():
        _passed_in_trial()
        return 0
    standard = services.standard_create(
        actor=hr, name="试点机构上线验收标准", go_live_month=datetime.date(2026, 10, 1)
    )
    items = list(standard.items.filter(method=StandardItem.Method.TICK).order_by("sort_order"))
    member = User.objects.get(username="acceptance", role=Role.ACCEPTANCE)
    team = Team.objects.create(name=TEAM)
    team.members.set([member, hr])
    pilots = {
        i.code: i
        for i in Institution.objects.filter(is_pilot=True).select_related("head").order_by("code")
    }

    def batch(name, date, codes):
        return services.batch_create(
            actor=hr,
            name=name,
            team=team,
            date=date,
            institutions=[pilots[code] for code in codes],
            standard=standard,
        )

    # 第一批: checked on site, decided, closed; its failed institution is then due for round 2.
    first = batch(*BATCHES[0])
    services.batch_start(actor=member, batch=first)
    for inspection in first.inspections.select_related("institution").order_by("institution"):
        failed = inspection.institution.code == FAILED
        _tick_all(member, inspection, items, unmet={"TRAIN"} if failed else ())
        services.inspection_decide(
            actor=member,
            inspection=inspection,
            passed=not failed,
            note="现场培训未完成，下一批次复验" if failed else "各项均符合验收标准",
        )
    services.batch_close(actor=hr, batch=first)
    second, _third = batch(*BATCHES[1]), batch(*BATCHES[2])

    # 第二批: on site now, some items ticked.
    services.batch_start(actor=member, batch=second)
    for inspection in second.inspections.select_related("institution"):
        count = TICKED_IN_PROGRESS.get(inspection.institution.code)
        if count:
            _tick_all(member, inspection, items, count=count)

    # The reports carry each institution's stage as it is now (those passed are in trial).
    _reports(
        list(Institution.objects.filter(is_pilot=True).select_related("head").order_by("code")),
        timezone.localdate(),
    )
    # Flag the week gone by, as the weekly task does (JG033 did not report).
    transaction.on_commit(flag_missing_reports.delay)
    return sum(len(codes) for _name, _date, codes in BATCHES)
