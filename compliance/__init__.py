"""Log retention, legal holds, filing and regulator packages (later issues). May import every app below it."""
