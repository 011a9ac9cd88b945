"""The notification service: in-app notifications with a resumable stream, preferences per kind and channel,
email over SMTP and signed webhooks, every delivery stored with its notification and retried until it is done."""
