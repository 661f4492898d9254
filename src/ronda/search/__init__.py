"""One box for "what happened to this link?": any channel, post, invite link or
tracking number finds its cases, orders, reports and actions."""
