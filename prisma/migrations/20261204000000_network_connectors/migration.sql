-- A network can be linked when a connector is registered for it (server/connectors/registry.ts)
-- and support has it switched on; the registry's rows say which ones have one. Replaces the
-- "sandbox"/"planned" kind.
ALTER TABLE "networks" ADD COLUMN "has_connector" BOOLEAN NOT NULL DEFAULT false;
UPDATE "networks" SET "has_connector" = ("connector_kind" <> 'planned');
ALTER TABLE "networks" DROP COLUMN "connector_kind";
