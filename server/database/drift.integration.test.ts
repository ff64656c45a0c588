/**
 * Drift guard: a database migrated from empty must match prisma/schema.prisma — every model's
 * table, column, type, nullability, primary key, unique and plain index, foreign key, and enum.
 */
import { readFileSync } from "node:fs";
import type * as DMMF from "@prisma/dmmf";
import { getDMMF } from "@prisma/get-dmmf";
import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { createEmptyDatabase } from "../../test/database";
import { migrate } from "./migrate";

/** Prisma scalar (+ native type) → PostgreSQL `udt_name`, as Prisma's schema engine maps them. */
function expectedUdt(field: DMMF.Field): string {
  if (field.kind === "enum") return field.type;
  const native = (field as DMMF.Field & { nativeType?: [string, string[]] | null }).nativeType?.[0];
  if (native) {
    const byNative: Record<string, string> = {
      Uuid: "uuid",
      Text: "text",
      VarChar: "varchar",
      Char: "bpchar",
      Timestamptz: "timestamptz",
      Timestamp: "timestamp",
      Date: "date",
      SmallInt: "int2",
      Integer: "int4",
      BigInt: "int8",
      JsonB: "jsonb",
      Json: "json",
      ByteA: "bytea",
    };
    if (!byNative[native]) throw new Error(`drift test: map native type ${native}`);
    return byNative[native];
  }
  const byScalar: Record<string, string> = {
    String: "text",
    Int: "int4",
    BigInt: "int8",
    Boolean: "bool",
    DateTime: "timestamp",
    Float: "float8",
    Decimal: "numeric",
    Json: "jsonb",
    Bytes: "bytea",
  };
  if (!byScalar[field.type]) throw new Error(`drift test: map scalar ${field.type}`);
  return byScalar[field.type]!;
}

interface TColumn {
  table_name: string;
  column_name: string;
  udt_name: string;
  is_nullable: "YES" | "NO";
}
interface TIndex {
  table: string;
  columns: string[];
  is_unique: boolean;
  is_primary: boolean;
}
interface TForeignKey {
  table: string;
  columns: string[];
  ref_table: string;
  ref_columns: string[];
}

const SCHEMA = readFileSync("prisma/schema.prisma", "utf8");

let columns: TColumn[] = [];
let indexes: TIndex[] = [];
let foreignKeys: TForeignKey[] = [];
let enums: Record<string, string[]> = {};
let dmmf: DMMF.Document;

beforeAll(async () => {
  const result = getDMMF({ datamodel: SCHEMA });
  if ("reason" in result) throw result.error;
  dmmf = result;
  const url = await createEmptyDatabase();
  await migrate(url);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    columns = (
      await client.query<TColumn>(
        `SELECT table_name, column_name, udt_name, is_nullable FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`,
      )
    ).rows;
    indexes = (
      await client.query<TIndex>(
        `SELECT t.relname AS table, i.indisunique AS is_unique, i.indisprimary AS is_primary,
                array_agg(a.attname ORDER BY k.ord)::text[] AS columns
         FROM pg_index i
         JOIN pg_class t ON t.oid = i.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
         CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
         WHERE t.relname <> '_prisma_migrations'
         GROUP BY t.relname, i.indexrelid, i.indisunique, i.indisprimary`,
      )
    ).rows;
    foreignKeys = (
      await client.query<TForeignKey>(
        `SELECT c.conrelid::regclass::text AS table, c.confrelid::regclass::text AS ref_table,
                (SELECT array_agg(a.attname ORDER BY k.ord)::text[] FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) AS columns,
                (SELECT array_agg(a.attname ORDER BY k.ord)::text[] FROM unnest(c.confkey) WITH ORDINALITY k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum) AS ref_columns
         FROM pg_constraint c WHERE c.contype = 'f'`,
      )
    ).rows.map((fk) => ({ ...fk, table: fk.table.replace(/"/g, ""), ref_table: fk.ref_table.replace(/"/g, "") }));
    const enumRows = (
      await client.query<{ name: string; value: string }>(
        `SELECT t.typname AS name, e.enumlabel AS value FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid
         ORDER BY t.typname, e.enumsortorder`,
      )
    ).rows;
    enums = {};
    for (const row of enumRows) (enums[row.name] ??= []).push(row.value);
  } finally {
    await client.end();
  }
});

function tableOf(model: DMMF.Model): string {
  return model.dbName ?? model.name;
}
function columnOf(model: DMMF.Model, fieldName: string): string {
  const field = model.fields.find((f) => f.name === fieldName);
  if (!field) throw new Error(`${model.name}.${fieldName} not found`);
  return field.dbName ?? field.name;
}
const key = (cols: string[]) => cols.join(",");

describe("schema.prisma and the migrations agree", () => {
  it("on tables", () => {
    const expected = dmmf.datamodel.models.map(tableOf).sort();
    const actual = [...new Set(columns.map((c) => c.table_name))].sort();
    expect(actual).toEqual(expected);
  });

  it("on every column's type and nullability", () => {
    for (const model of dmmf.datamodel.models) {
      const table = tableOf(model);
      const expected = model.fields
        .filter((f) => f.kind === "scalar" || f.kind === "enum")
        .map((f) => ({
          column: f.dbName ?? f.name,
          type: f.isList ? `_${expectedUdt(f)}` : expectedUdt(f),
          // Prisma writes scalar lists as nullable array columns (`TEXT[]`), whatever the model says.
          nullable: f.isList || !f.isRequired,
        }))
        .sort((a, b) => a.column.localeCompare(b.column));
      const actual = columns
        .filter((c) => c.table_name === table)
        .map((c) => ({ column: c.column_name, type: c.udt_name, nullable: c.is_nullable === "YES" }))
        .sort((a, b) => a.column.localeCompare(b.column));
      expect(actual, `table ${table}`).toEqual(expected);
    }
  });

  it("on primary keys, unique and plain indexes", () => {
    const expected = dmmf.datamodel.indexes
      .map((index) => {
        const model = dmmf.datamodel.models.find((m) => m.name === index.model)!;
        return {
          table: tableOf(model),
          columns: key(index.fields.map((f) => columnOf(model, f.name))),
          kind: index.type === "id" ? "primary" : index.type === "unique" ? "unique" : "plain",
        };
      })
      .sort((a, b) => `${a.table}|${a.columns}|${a.kind}`.localeCompare(`${b.table}|${b.columns}|${b.kind}`));
    const actual = indexes
      .map((i) => ({
        table: i.table,
        columns: key(i.columns),
        kind: i.is_primary ? "primary" : i.is_unique ? "unique" : "plain",
      }))
      .sort((a, b) => `${a.table}|${a.columns}|${a.kind}`.localeCompare(`${b.table}|${b.columns}|${b.kind}`));
    expect(actual).toEqual(expected);
  });

  it("on foreign keys", () => {
    const expected = dmmf.datamodel.models
      .flatMap((model) =>
        model.fields
          .filter((f) => f.kind === "object" && (f.relationFromFields?.length ?? 0) > 0)
          .map((f) => {
            const target = dmmf.datamodel.models.find((m) => m.name === f.type)!;
            return {
              table: tableOf(model),
              columns: key(f.relationFromFields!.map((name) => columnOf(model, name))),
              ref: `${tableOf(target)}(${key(f.relationToFields!.map((name) => columnOf(target, name)))})`,
            };
          }),
      )
      .sort((a, b) => `${a.table}|${a.columns}`.localeCompare(`${b.table}|${b.columns}`));
    const actual = foreignKeys
      .map((fk) => ({ table: fk.table, columns: key(fk.columns), ref: `${fk.ref_table}(${key(fk.ref_columns)})` }))
      .sort((a, b) => `${a.table}|${a.columns}`.localeCompare(`${b.table}|${b.columns}`));
    expect(actual).toEqual(expected);
  });

  it("on enums", () => {
    const expected = Object.fromEntries(
      dmmf.datamodel.enums.map((e) => [e.dbName ?? e.name, e.values.map((v) => v.dbName ?? v.name)]),
    );
    expect(enums).toEqual(expected);
  });
});
