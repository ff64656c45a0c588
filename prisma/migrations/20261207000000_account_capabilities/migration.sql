-- What one linked account can show, when it differs from its network's definition (an XMPP server
-- without PEP, a server with a smaller stanza limit): read from the vendor at link and read-back.
-- NULL: the network's capabilities.
ALTER TABLE "linked_accounts" ADD COLUMN "capabilities" JSONB;
