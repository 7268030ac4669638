"""Report intake, triage, SLA, outcomes and appeals (later issues). May import moderation and below."""
