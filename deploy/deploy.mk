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

# The gateway (docs/gateway.md, docs/deploy.md "The page and JSON over HTTP: the gateway"): a second
# service from the Dockerfile's `gateway` target, calling the gRPC service above as its own
# service account. PUBLIC=1 lets anyone open it; otherwise open it with `make deploy-gateway-proxy`.
GATEWAY_SERVICE ?= ner-web
GATEWAY_MAX_INSTANCES ?= 5
GATEWAY_ALLOWED_ORIGINS ?=
GATEWAY_ACCOUNT_NAME ?= ner-web
GATEWAY_ACCOUNT ?= $(GATEWAY_ACCOUNT_NAME)@$(PROJECT).iam.gserviceaccount.com
GATEWAY_IMAGE ?= $(REGION)-docker.pkg.dev/$(PROJECT)/$(REPOSITORY)/ner-web:$(IMAGE_TAG)
BACKEND_URL ?= $(shell gcloud run services describe $(SERVICE) --project $(PROJECT) --region $(REGION) \
	--format 'value(status.url)' 2>/dev/null)
PUBLIC ?=
GATEWAY_PROXY_PORT ?= 8080
RENDER_GATEWAY_MANIFEST = sed -e 's|$${GATEWAY_SERVICE}|$(GATEWAY_SERVICE)|g' -e 's|$${REGION}|$(REGION)|g' \
	-e 's|$${GATEWAY_MAX_INSTANCES}|$(GATEWAY_MAX_INSTANCES)|g' -e 's|$${GATEWAY_ACCOUNT}|$(GATEWAY_ACCOUNT)|g' \
	-e 's|$${GATEWAY_IMAGE}|$(GATEWAY_IMAGE)|g' -e 's|$${BACKEND_URL}|$(BACKEND_URL)|g' \
	-e 's|$${GATEWAY_ALLOWED_ORIGINS}|$(GATEWAY_ALLOWED_ORIGINS)|g' deploy/gateway.yaml

.PHONY: deploy-gateway-manifest deploy-gateway-account deploy-gateway deploy-gateway-proxy deploy-gateway-delete

deploy-gateway-manifest:
	@$(RENDER_GATEWAY_MANIFEST)

# The gateway's service account, allowed to invoke the gRPC service and nothing else.
deploy-gateway-account: deploy-check
	gcloud iam service-accounts describe $(GATEWAY_ACCOUNT) --project $(PROJECT) >/dev/null 2>&1 \
		|| gcloud iam service-accounts create $(GATEWAY_ACCOUNT_NAME) --project $(PROJECT) \
			--display-name "ner-web gateway: invokes $(SERVICE)"
	gcloud run services add-iam-policy-binding $(SERVICE) $(WHERE) \
		--member serviceAccount:$(GATEWAY_ACCOUNT) --role roles/run.invoker

# Build the gateway image, deploy it; with PUBLIC=1 anyone may call it (allUsers as invoker).
deploy-gateway: deploy-gateway-account
	@test -n "$(BACKEND_URL)" || { echo "the gRPC service $(SERVICE) is not deployed: make deploy first"; exit 1; }
	gcloud builds submit --project $(PROJECT) --region $(REGION) \
		--config deploy/cloudbuild-gateway.yaml --substitutions _IMAGE=$(GATEWAY_IMAGE) .
	mkdir -p build
	$(RENDER_GATEWAY_MANIFEST) > build/gateway.yaml
	gcloud run services replace build/gateway.yaml $(WHERE)
	$(if $(PUBLIC),gcloud run services add-iam-policy-binding $(GATEWAY_SERVICE) $(WHERE) \
		--member allUsers --role roles/run.invoker,@echo "private: make deploy-gateway-proxy opens it on localhost")
	gcloud run services describe $(GATEWAY_SERVICE) $(WHERE) --format 'value(status.url)'

# The private gateway on http://localhost:$(GATEWAY_PROXY_PORT), with your own credentials.
deploy-gateway-proxy: deploy-check
	gcloud run services proxy $(GATEWAY_SERVICE) $(WHERE) --port $(GATEWAY_PROXY_PORT)

deploy-gateway-delete: deploy-check
	gcloud run services delete $(GATEWAY_SERVICE) $(WHERE) --quiet
