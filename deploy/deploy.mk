# Cloud Run: build the image with Cloud Build into Artifact Registry, deploy deploy/service.yaml,
# delete. Included by the Makefile; every variable can be given on the command line:
#   make deploy PROJECT=my-project REGION=europe-west1
# docs/deploy.md walks through the first deployment.

PROJECT ?= $(shell gcloud config get-value project 2>/dev/null)
REGION ?= europe-west1
REPOSITORY ?= ner-grpc
SERVICE ?= ner-grpc
MIN_INSTANCES ?= 0
MAX_INSTANCES ?= 10
IMAGE_TAG ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo latest)
IMAGE ?= $(REGION)-docker.pkg.dev/$(PROJECT)/$(REPOSITORY)/ner-grpc:$(IMAGE_TAG)
WHERE = --project $(PROJECT) --region $(REGION)
RENDER_MANIFEST = sed -e 's|$${SERVICE}|$(SERVICE)|g' -e 's|$${REGION}|$(REGION)|g' -e 's|$${PROJECT}|$(PROJECT)|g' \
	-e 's|$${IMAGE}|$(IMAGE)|g' -e 's|$${MIN_INSTANCES}|$(MIN_INSTANCES)|g' \
	-e 's|$${MAX_INSTANCES}|$(MAX_INSTANCES)|g' deploy/service.yaml

.PHONY: deploy-check deploy-setup deploy-build deploy-manifest deploy deploy-url deploy-delete

deploy-check:
	@test -n "$(PROJECT)" || { echo "set PROJECT=<project id> (or gcloud config set project ...)"; exit 1; }

# Once per project: the APIs, and the Docker repository in Artifact Registry.
deploy-setup: deploy-check
	gcloud services enable run.googleapis.com cloudbuild.googleapis.com artifactregistry.googleapis.com \
		--project $(PROJECT)
	gcloud artifacts repositories describe $(REPOSITORY) --project $(PROJECT) --location $(REGION) >/dev/null 2>&1 \
		|| gcloud artifacts repositories create $(REPOSITORY) --project $(PROJECT) --location $(REGION) \
			--repository-format docker --description "ner-grpc images"

# Cloud Build runs the Dockerfile; .gcloudignore (else .gitignore) and .dockerignore trim the upload.
deploy-build: deploy-check
	gcloud builds submit --project $(PROJECT) --region $(REGION) --tag $(IMAGE) .

# The manifest with this deployment's values filled in, on stdout.
deploy-manifest:
	@$(RENDER_MANIFEST)

# Build, push and deploy. The service stays private: callers need roles/run.invoker.
deploy: deploy-build
	mkdir -p build
	$(RENDER_MANIFEST) > build/service.yaml
	gcloud run services replace build/service.yaml $(WHERE)
	gcloud run services describe $(SERVICE) $(WHERE) --format 'value(status.url)'

deploy-url: deploy-check
	@gcloud run services describe $(SERVICE) $(WHERE) --format 'value(status.url)'

deploy-delete: deploy-check
	gcloud run services delete $(SERVICE) $(WHERE) --quiet
