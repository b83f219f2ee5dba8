"""On-call: PagerDuty pages and Slack notices for urgent tickets (POLICY.md section 4).

`page_events` builds the Events API v2 bodies (pure), `pagerduty` and `slack` send them with
typed errors (`errors`) and never wait or retry themselves: the worker's jobs do.
"""
