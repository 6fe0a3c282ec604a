"""The command line's own help in Chinese: one table, by command and option, beside the English in the code.

The English help stays where click reads it (each command's docstring, each option's `help=`); this is
what `help_language.use_language` puts in its place when the language is Chinese. Keyed by the command's
path (`"dengji service install"`) and, under `options`, by the parameter's name. An option whose text is
the same under every command (`as_json`, `scope`...) is written once, in `SHARED_OPTIONS`. A command or
option missing here keeps its English; `tests/cli/test_cli_language.py` checks that none is missing.
"""

from __future__ import annotations

SHARED_OPTIONS: dict[str, str] = {
    "as_json": "以 JSON 输出。",
    "output_json": "以 JSON 输出结果，而不是逐行文字。",
    "max_events": "每批最多发送的事件数。",
    "desk_operator": "在这台电脑上工作的人（记在 config.toml）；登记库还没有操作员账号时，这里的每条登记都记下此人。",
    "scope": "system：Linux 上以 dengji 用户运行的系统服务（需要 root）；Windows 上开机运行的任务。"
             "user：您自己的服务，或登录时运行的任务。默认：root 用 system，否则 user。",
    "platform_name": "按这个系统写，而不是本机的系统（与 --print 或 --root 一起用）。",
    "root": "写到这个目录下而不是 /，也不执行任何命令（制作镜像、测试用）。",
    "dry_run": "只检查并报告，什么也不登记、不删除。",
    "version": "显示版本号并退出。",
}

COMMANDS: dict[str, dict[str, object]] = {
    "dengji": {
        "help": "登记 dengji：登记租户、住客和员工，并上报平台。\n\n"
                "不带命令运行打开终端界面；在下面选一个命令，`dengji 命令 --help` 说明每个命令。",
        "options": {
            "home": "数据目录（配置、数据库、日志）。默认：$DENGJI_HOME 或用户数据目录。",
            "lang": "提示和帮助的语言：zh（默认）或 en。",
            "operator": "操作员（登记库有操作员账号之后）；密码来自 $DENGJI_PIN 或提示输入。",
        },
    },
    "dengji tui": {"help": "打开终端界面（只输入 dengji 也是这样）。第一次运行时是设置向导。"},
    "dengji init": {
        "help": "设置本场所：建立数据目录、加密的登记库和场所信息。",
        "options": {
            "jurisdiction": "适用哪里的地方规定（登记表旁的规则文件：national 全国、zhengzhou 郑州）。默认：按地址的行政区划，否则全国。",
            "subtype": "通宵营业场所的类型：internet_cafe（网吧，不接待未成年人）、bathhouse（洗浴）、club（会所）。",
            "kind": "rental（出租房屋）、hotel（旅馆）、overnight（网吧、洗浴）、employer（用工单位）。",
            "name": "登记的场所名称。",
            "address": "场所地址。",
            "police_station": "所属派出所。",
            "agreement_no": "治安管理责任书编号。",
            "rental_filing_no": "房屋租赁登记备案证明编号。",
            "credit_code": "统一社会信用代码，18 位。",
            "owner": "用这个名字建立第一个操作员账号（店主；密码来自 $DENGJI_NEW_PIN 或提示输入）。"
                     "此后每个命令都要 --operator 和密码。",
            "database_url": "把登记库放在 PostgreSQL 里，供多台电脑共用（这是第一台；其他的用 dengji join）。"
                            "默认：数据目录里的 SQLite 文件。",
        },
    },
    "dengji join": {
        "help": "把这台电脑加为共用 PostgreSQL 登记库的又一台电脑。\n\n"
                "先在有密钥的电脑上运行 `dengji keys export 文件`，把文件带到这里，再运行 "
                "`dengji join postgresql://用户:密码@主机/库 --keys 文件`。转移口令来自 "
                "$DENGJI_TRANSFER_PASSPHRASE 或提示输入。用完删除该文件。",
        "options": {"keys_file": "在本场所另一台电脑上用 `dengji keys export` 做的转移文件。"},
    },
    "dengji keys": {"help": "场所的密钥：带到另一台电脑。"},
    "dengji keys export": {
        "help": "把场所的主密钥用转移口令封好写到文件，供 `dengji join` 使用。\n\n"
                "有了文件和口令就能读登记库：请亲自携带，新电脑加入后删除。口令来自 "
                "$DENGJI_TRANSFER_PASSPHRASE 或提示输入。",
    },
    "dengji enroll": {
        "help": "用派出所给的一次性登记码，把本设备在平台登记。",
        "options": {
            "fingerprint": "平台密钥指纹，派出所和注册码一起给出；指纹不符的平台会被拒绝。平台不在本机时必须填写。",
            "platform_url": "平台地址，例如 https://platform.example。",
            "ca_file": "签发平台证书的 CA 的 PEM 文件（不是公共 CA 时）。",
        },
    },
    "dengji register": {
        "help": "从 JSON 登记到达：每条记录一行结果；被拒绝的记录什么也不写入。\n\n"
                "每个对象：{kind: tenancy|stay|employment, unit, arrived_at, expected_departure?, position?, "
                "lodges_on_site?, reason?, person: {doc_type, doc_number, name, sex: M|F, ethnicity?, birth_date?, "
                "nationality?, address?, phone?, residence_permit_number?}, guardian?: {doc_type, doc_number, name}}。"
                "有记录被拒绝时退出码为 1。",
        "options": {"source": "JSON 文件（- 表示标准输入），内容是一个登记对象或它们的列表。"},
    },
    "dengji depart": {
        "help": "登记离开：退房、退租或离职。",
        "options": {
            "late_reason": "为什么现在才登记离开：--at 早于 72 小时前时必填。","at": "离开的时间（YYYY-MM-DD HH:MM，北京时间）。默认：现在。"},
    },
    "dengji list": {
        "help": "列出登记，新的在前；证件号码和电话只显示部分。",
        "options": {"present": "只列出现在在住的人（未离开）。", "text": "姓名，或证件号码的最后几位。",
                    "as_json": "以 JSON 输出（每行带登记号）。"},
    },
    "dengji rejected": {
        "help": "列出被平台退回的记录和原因，直到更正（dengji correct）或重发（dengji resend）。",
        "options": {"as_json": "以 JSON 输出（每行带 correct/resend 用的编号）。"},
    },
    "dengji correct": {
        "help": "更正一条被退回的记录（编号见 `dengji rejected`）；更正作为新事件上报。\n\n"
                "`dengji rejected --json` 显示当时发送的内容；改好后用 --json 传入。更正被拒绝时退出码为 1"
                "（那时什么也不写入）。",
        "options": {
            "late_reason": "与 --departed-at 一起用：为什么迟报（超过 72 小时）。","source": "更正后的登记（格式同 `dengji register`），用于被退回的登记。",
                    "departed_at": "更正后的离开时间，用于被退回的离开。"},
    },
    "dengji resend": {"help": "原样重发一条被退回的记录：原因已在别处解决之后（例如房号已备案）。"},
    "dengji status": {
        "help": "显示待上报、已上报和被退回的数量，以及上次上报的情况。",
        "options": {"as_json": "以 JSON 输出状态。"},
    },
    "dengji send": {
        "help": "现在发送待上报的内容然后退出：全部被接受退出码为 0，否则为 1（并说明原因）。",
        "options": {"until_empty": "一直重试（逐渐拉长间隔），直到没有要发送的。"},
    },
    "dengji agent": {"help": "无人值守的上报程序（作为服务运行）。"},
    "dengji agent run": {
        "help": "运行上报程序直到被停止（SIGTERM/SIGINT）：先发积压的，再随时发送新的。\n\n"
                "同一场所的每台电脑都可以运行一个：一个发送，其他的等待，它停了就接替。",
        "options": {
            "send_interval": "定时发送的间隔秒数。默认：旅馆和网吧等 60，其他 900。",
            "watch_interval": "查看其他程序新登记的间隔秒数。",
            "duties_interval": "查看场所待办事项（每日无入住上报、提醒）的间隔秒数。",
            "lease_seconds": "发送者意外停止后，其他电脑等待多久接替。每台电脑用相同的值。",
        },
    },
    "dengji doctor": {
        "help": "检查本机安装并说明该怎么做：配置、磁盘、读卡器、密钥、数据库、平台、时钟、积压。\n\n"
                "每项结果为 OK、WARN 或 FAIL。什么也不改、什么也不发送。退出码：0 全部正常，3 只有警告，"
                "1 至少一项失败。",
        "options": {"as_json": "以 JSON 输出检查结果。"},
    },
    "dengji backup": {
        "help": "把登记库和它的密钥加密备份到目标（文件或文件夹），并校验备份。\n\n"
                "备份口令来自 $DENGJI_BACKUP_PASSPHRASE 或提示输入（从不写在命令行上）。文件和口令分开保存："
                "两者都有的人就能读登记库。默认目标：当前文件夹下的 dengji-日期-时间.dengji-backup。",
    },
    "dengji restore": {
        "help": "把 `dengji backup` 做的备份恢复到这个数据目录：登记库和它的密钥。\n\n"
                "改动之前先校验整个文件。已有登记库时不加 --force 不会替换。备份口令来自 "
                "$DENGJI_BACKUP_PASSPHRASE 或提示输入。请先停止上报服务并关闭终端界面。",
        "options": {"force": "替换已有的登记库（先保存在 HOME/backups/）。"},
    },
    "dengji service": {"help": "把上报程序装成自动启动的服务：Linux 上用 systemd，Windows 上用计划任务。"},
    "dengji service install": {
        "help": "写好服务（unit 文件或计划任务），启用并启动它。\n\n"
                "Linux 系统服务的密钥文件口令放在 /etc/dengji/passphrase（只有 root 可读），由 unit 通过 "
                "LoadCredential= 交给服务。口令来自 DENGJI_PASSPHRASE 或提示输入。",
        "options": {"exe": "服务运行的 dengji 程序。默认：当前这个。", "show_only": "只显示会写什么、运行什么，不做改动。"},
    },
    "dengji service uninstall": {
        "help": "停止并删除服务。登记库、密钥和口令文件保留。",
        "options": {"show_only": "只显示会删除什么、运行什么，不做改动。"},
    },
    "dengji service status": {
        "help": "说明服务是否已安装、已启用、正在运行。未安装时退出码为 1。",
        "options": {"as_json": "以 JSON 输出状态。"},
    },
    "dengji reminders": {
        "help": "显示场所到期的待办事项。\n\n包括：该办居住证的、租期已过的、超过预计离店时间的、被退回未更正的、"
                "上报超时的。无论有没有，退出码都为 0。",
        "options": {"as_json": "以 JSON 输出提醒。"},
    },
    "dengji permit-check": {
        "help": "向平台查询一位已登记人员的居住证是否有效（一证通）。\n\n"
                "结果和登记一起保存。有效时退出码为 0；其他结果，或无法询问平台时为 1。",
        "options": {"permit_number": "居住证上的号码。默认：登记时记下的号码。", "as_json": "以 JSON 输出结果。"},
    },
    "dengji operator": {"help": "操作员账号：各有密码，每项操作记下是谁。由店主管理。"},
    "dengji operator add": {
        "help": "建立账号；密码来自 $DENGJI_NEW_PIN 或提示输入（输两次）。\n\n"
                "登记库的第一个账号必须是店主，不需要 --operator；之后的需要店主的。",
        "options": {"as_owner": "店主（可以管理账号），而不是店员。"},
    },
    "dengji operator list": {"help": "列出在用的账号，以及角色、是否因密码输错被锁定。"},
    "dengji operator remove": {"help": "停用一个账号（只有店主可以）。名字留在审计记录里，不会再给别人用。"},
    "dengji operator set-pin": {"help": "设新密码：自己的，或者（店主）任何人的——这也解除输错密码后的锁定。"},
    "dengji audit": {"help": "审计记录：谁在何时做了什么，逐条用哈希相连。不含个人信息。"},
    "dengji audit verify": {
        "help": "证明审计记录完整：退出码 0；或为 1 并指出第一条被改动或删除的记录。",
        "options": {"anchor": "早先记下的某条记录的编号和哈希：它必须仍在链中。", "as_json": "以 JSON 输出结论。"},
    },
    "dengji audit list": {
        "help": "显示记录，旧的在前：编号、时间、操作员、操作、登记号、详情。",
        "options": {"last": "显示最新的多少条。", "registration_id": "改为显示一条登记的全部记录。"},
    },
    "dengji retention": {
        "help": "显示保存期限，或把它设为 DAYS 天（30-3650；只有店主可以，记入审计）。\n\n"
                "离开超过这么久、而且每个事件都已被平台确认的人，其个人信息由每天的清理删除。",
    },
    "dengji purge": {
        "help": "删除保存期限不再允许保留的个人信息（上报程序每天自动做）。\n\n"
                "只删离开超过期限、而且每个事件都已被平台确认的人；记录行、计数和审计记录保留。",
        "options": {"dry_run": "只统计会删除多少（不需要操作员）。", "as_json": "以 JSON 输出统计。"},
    },
    "dengji import": {
        "help": "从 CSV 或 XLSX 表格登记人员（列名用中文或英文）。\n\n"
                "每行输出一条结果；被拒绝的行什么也不写入，其他行照常登记。有行被拒绝时退出码为 1。",
        "options": {"dry_run": "检查每一行并报告，但什么也不登记。"},
    },
    "dengji export": {
        "help": "把登记簿（公安检查时要看的）导出为 CSV 或 XLSX。",
        "options": {"date_from": "包含的第一个到达日（YYYY-MM-DD）。", "date_to": "包含的最后一个到达日（YYYY-MM-DD）。",
                    "output": "写到的文件。默认：当前文件夹下的 register-今天日期.格式。"},
    },
    "dengji demo": {
        "help": "放心试用 dengji：示例平台、旅馆和住客，然后打开终端界面。\n\n"
                "在 127.0.0.1 上启动参考平台，建一家示例旅馆和住客，然后打开终端界面。一切都在临时文件夹里；您的真实数据不会被动到。",
        "options": {"no_tui": "只打印演示过程并上报，不打开终端界面。", "keep": "演示结束后保留临时数据目录和平台数据库。"},
    },
    "dengji reader": {"help": "身份证阅读器。"},
    "dengji reader read": {
        "help": "等待阅读器上放证件，并打印证件上的各项。",
        "options": {
            "port": "阅读器的串口（/dev/ttyUSB0、COM3）；默认：配置的 reader_port，否则在 USB 串口中查找。"
                    "用 --backend library 时：库的端口号（1001 为第一个 USB 阅读器）。",
            "baud": "串口速率；默认：配置的 reader_baud，否则 115200。",
            "timeout": "等待证件的秒数。",
            "as_json": "以一个 JSON 对象输出证件（号码不遮挡）。",
            "lang": "提示的语言。",
            "backend": "串口上的 GA/T 467 报文，或厂商的 sdtapi 库；默认：配置的 reader_backend，否则 serial。",
            "library_path": "厂商的 sdtapi 库（与 --backend library 一起用）；默认：配置的 reader_library_path。",
        },
    },
    "dengji depart-room": {
        "help": "房间 UNIT 里登记的所有人（一家人、同住人员）一起离开：要么全部登记，要么一个也不登记。",
        "options": {
            "at": "离开的时间（YYYY-MM-DD HH:MM，北京时间）。默认：现在。",
            "late_reason": "为什么现在才登记离开（早于 72 小时前时必填）。",
        },
    },
    "dengji undo-depart": {
        "help": "撤销登记错了的离开（登记后 15 分钟内）：此人重新在住。",
    },
    "dengji move": {
        "help": "在住人员换到另一个房间或单元（作为换房上报）。",
        "options": {
            "unit": "新的房间或单元。",
            "at": "换房的时间（YYYY-MM-DD HH:MM，北京时间）。默认：现在。",
        },
    },
    "dengji extend": {
        "help": "延长（或缩短）在住人员的住宿；租户为续租，租约到 DATE。",
        "options": {
            "until": "新的预计离开时间，或续租后的租约到期日（YYYY-MM-DD，可加 HH:MM）。",
        },
    },
    "dengji visit": {
        "help": "登记来访人员，显示来访编号（dengji visit-end 用）。\n\n"
                "来访人员的写法与 dengji register 的 person 相同（doc_type、doc_number、name……）。"
                "来访被拒绝时退出码为 1（什么也不记下）。",
        "options": {
            "source": "JSON 文件（- 表示标准输入）：{visitor: 人员, host: 登记号, arrived_at}。",
        },
    },
    "dengji visit-end": {
        "help": "登记来访人员离开（VISIT_ID 来自 dengji visit 或 dengji visits）。",
        "options": {
            "at": "来访人员离开的时间（YYYY-MM-DD HH:MM，北京时间）。默认：现在。",
        },
    },
    "dengji visits": {
        "help": "列出来访，最新的在前，含被访人和打码的证件号码。",
        "options": {
            "in_only": "只列还没离开的来访人员。",
        },
    },
    "dengji closing-time": {
        "help": "显示来访人员须离开的时间，或设为 VALUE（HH:MM；只有店主可以设，记入审计）。\n\n"
                "dengji reminders 会列出这个时间之后还没离开的来访人员。默认 23:00。",
    },
    "dengji at-rest": {
        "help": "显示个人信息如何加密存储，或改为 SUITE（只有店主可以改，记入审计）。\n\n"
                "aes：AES-256-GCM 和 HMAC-SHA256（默认）。gm：国密 SM4-GCM 和 HMAC-SM3，场所所在地规定要求时使用。"
                "改用后，所有记录在一个事务中重新加密；多台前台的场所，其他前台在下一次写入时自动改用，无需重启。",
    },
}

CLICK_WORDS: dict[str, str] = {
    # click's own words (its gettext message ids), for help pages and usage errors
    "Usage:": "用法:",
    "Options": "选项",
    "Commands": "命令",
    "Show this message and exit.": "显示此帮助并退出。",
    "Show the version and exit.": "显示版本号并退出。",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "用 '{command} {option}' 查看帮助。",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "Did you mean {possibility}?": "是不是 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（是不是其中之一：{possibilities}？）",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Invalid value: {message}": "值无效：{message}",
    "Got unexpected extra argument ({args})": "多出了参数（{args}）",
    "Got unexpected extra arguments ({args})": "多出了参数（{args}）",
    "Option {name!r} does not take a value.": "选项 {name!r} 不带值。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的 {number_type}。",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "default: {default}": "默认：{default}",
    "env var: {var}": "环境变量：{var}",
    "Option {name!r} requires an argument.": "选项 {name!r} 需要一个值。",
    "Missing command.": "缺少命令。",
    "Aborted!": "已中止。",
    "(Use {choices})": "（可用：{choices}）",
    "{value!r} is not {choice}.": "{value!r} 不是 {choice}。",
    "{value!r} is not one of {choices}.": "{value!r} 不是 {choices} 之一。",
    "%(prog)s, version %(version)s": "%(prog)s，版本 %(version)s",
}
