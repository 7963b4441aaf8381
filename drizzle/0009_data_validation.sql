CREATE TABLE "dataset_schemas" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"dataset_name" text NOT NULL,
	"version" integer NOT NULL,
	"schema" jsonb NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "sketch" jsonb;--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "data_schema" jsonb;--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "anomalies" jsonb;--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "validated_against" jsonb;--> statement-breakpoint
ALTER TABLE "endpoints" ADD COLUMN "reject_anomalies" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "dataset_schemas" ADD CONSTRAINT "dataset_schemas_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "dataset_schemas_name_version" ON "dataset_schemas" USING btree ("project_id","dataset_name","version");