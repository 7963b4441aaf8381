CREATE TABLE "custom_node_kinds" (
	"project_id" text NOT NULL,
	"name" text NOT NULL,
	"def" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "custom_node_kinds_project_id_name_pk" PRIMARY KEY("project_id","name")
);
--> statement-breakpoint
CREATE TABLE "notebooks" (
	"project_id" text NOT NULL,
	"version" integer NOT NULL,
	"hash" text NOT NULL,
	"doc" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "notebooks_project_id_version_pk" PRIMARY KEY("project_id","version")
);
