# Cloud Run: build the image with Cloud Build into Artifact Registry, deploy deploy/service.yaml,
# delete. Included by the Makefile; every variable can be given on the command line:
#   make deploy PROJECT=my-project REGION=europe-west1
#   make deploy PROJECT=my-project SERVICE=my-ner MODEL_DIR=training/model-best [CODE=functions.py]
# docs/deploy.md walks through the first deployment and through serving your own pipeline.

PROJECT ?= $(shell gcloud config get-value project 2>/dev/null)
REGION ?= europe-west1
REPOSITORY ?= ner-grpc
SERVICE ?= ner-grpc
MIN_INSTANCES ?= 0
MAX_INSTANCES ?= 10
IMAGE_TAG ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo latest)
IMAGE ?= $(REGION)-docker.pkg.dev/$(PROJECT)/$(REPOSITORY)/ner-grpc:$(IMAGE_TAG)
WHERE = --project $(PROJECT) --region $(REGION)

# Your own pipeline: MODEL_DIR (what `spacy train` or `nlp.to_disk` wrote) and CODE (its custom
# components' files, space-separated) go into a three-line image on top of $(IMAGE), built by
# Cloud Build from a folder of its own, PIPELINE_CONTEXT, holding just those files. Its tag
# follows their content, so a changed pipeline is a new image and a new revision.
MODEL_DIR ?=
CODE ?=
PIPELINE_CONTEXT ?= build/pipeline-image
PIPELINE_NAME = $(notdir $(patsubst %/,%,$(MODEL_DIR)))
PIPELINE_CODE = $(subst $(eval) ,:,$(strip $(addprefix /pipelines/code/,$(notdir $(CODE)))))
PIPELINE_DIGEST = $(shell { cd $(MODEL_DIR) 2>/dev/null && find . -type f -print0 | LC_ALL=C sort -z \
	| xargs -0 sha256sum; cat $(CODE) /dev/null; } | sha256sum | cut -c1-12)
PIPELINE_IMAGE ?= $(REGION)-docker.pkg.dev/$(PROJECT)/$(REPOSITORY)/$(SERVICE):$(IMAGE_TAG)-$(PIPELINE_DIGEST)
DEPLOYED_IMAGE = $(if $(MODEL_DIR),$(PIPELINE_IMAGE),$(IMAGE))

RENDER_MANIFEST = sed -e 's|$${SERVICE}|$(SERVICE)|g' -e 's|$${REGION}|$(REGION)|g' -e 's|$${PROJECT}|$(PROJECT)|g' \
	-e 's|$${IMAGE}|$(DEPLOYED_IMAGE)|g' -e 's|$${MIN_INSTANCES}|$(MIN_INSTANCES)|g' \
	-e 's|$${MAX_INSTANCES}|$(MAX_INSTANCES)|g' deploy/service.yaml

.PHONY: deploy-check deploy-setup deploy-build deploy-base deploy-pipeline-context deploy-pipeline-build \
	deploy-manifest deploy deploy-url deploy-delete

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
BUILD_BASE = gcloud builds submit --project $(PROJECT) --region $(REGION) --tag $(IMAGE) .
deploy-build: deploy-check
	$(BUILD_BASE)

# The project's image, built only when Artifact Registry does not hold it for this commit yet.
deploy-base: deploy-check
	gcloud artifacts docker images describe $(IMAGE) >/dev/null 2>&1 || $(BUILD_BASE)

# The build context of your pipeline's image: a Dockerfile FROM the project's image, the pipeline
# directory, the CODE files, and a .gcloudignore that excludes nothing (without one, gcloud would
# apply a .gitignore; the repository's lists build/, where this folder is).
deploy-pipeline-context:
	@test -n "$(MODEL_DIR)" || { echo "set MODEL_DIR=<pipeline directory> (what spacy train or nlp.to_disk wrote)"; exit 1; }
	@test -f "$(MODEL_DIR)/config.cfg" || { echo "MODEL_DIR=$(MODEL_DIR) is not a spaCy pipeline directory (no config.cfg in it)"; exit 1; }
	@for file in $(CODE); do test -f "$$file" || { echo "CODE: no file $$file"; exit 1; }; done
	rm -rf $(PIPELINE_CONTEXT)
	mkdir -p $(PIPELINE_CONTEXT)
	cp -R $(patsubst %/,%,$(MODEL_DIR)) $(PIPELINE_CONTEXT)/$(PIPELINE_NAME)
	$(if $(CODE),mkdir $(PIPELINE_CONTEXT)/code && cp $(CODE) $(PIPELINE_CONTEXT)/code/)
	printf '%s\n' 'FROM $(IMAGE)' 'COPY $(PIPELINE_NAME) /pipelines/$(PIPELINE_NAME)' \
		$(if $(CODE),'COPY code /pipelines/code') \
		'ENV NER_MODEL=/pipelines/$(PIPELINE_NAME)$(if $(CODE), NER_CODE=$(PIPELINE_CODE))' \
		> $(PIPELINE_CONTEXT)/Dockerfile
	printf '%s\n' '# Everything in this folder is the build context of the pipeline image.' \
		> $(PIPELINE_CONTEXT)/.gcloudignore

deploy-pipeline-build: deploy-check deploy-pipeline-context deploy-base
	gcloud builds submit --project $(PROJECT) --region $(REGION) --tag $(PIPELINE_IMAGE) $(PIPELINE_CONTEXT)

# The manifest with this deployment's values filled in, on stdout.
deploy-manifest:
	@$(RENDER_MANIFEST)

# Build, push and deploy. The service stays private: callers need roles/run.invoker.
deploy: $(if $(MODEL_DIR),deploy-pipeline-build,deploy-build)
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
