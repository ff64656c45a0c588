-- A network switched on again reopens its accounts in chunks, each in a transaction of its own
-- (server/dispatch/reopen-network.ts): the last account id done (the nil UUID before the first).
-- NULL: nothing to do.
ALTER TABLE "networks" ADD COLUMN "reopen_cursor" UUID;
