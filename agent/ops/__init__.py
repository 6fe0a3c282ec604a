"""Running the agent on a real machine: health checks (`doctor`), backup and restore (`backup`,
`backup_file`), installing the uploader as an operating-system service (`os_service`), log files (`logs`).

May import: `agent.register` and the layers below it; never the spreadsheets or the command line.
"""
