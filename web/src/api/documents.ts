import { gql } from '@urql/core';

const spread = 'min avg max';

// Page sizes are written into the documents: the API prices a `first` given as a variable at its
// largest page size (src/graphql/limits.ts).
export const runsPageSize = 20;
export const identitiesPageSize = 48;

export const statsFields = `
  dt propIct meanDistanceToAverage
  embeddingDistance { ${spread} } latentDistance { ${spread} }
  totalForce { ${spread} } interactionForce { ${spread} } latentForce { ${spread} } randomForce { ${spread} }
  exclusion { minDistance identitiesWithin }`;

const runRowFields = `
  id kind status iteration totalIterations createdAt startedAt finishedAt
  modelPack { id name digest }
  identities(first: 0) { totalCount }`;

export const meQuery = gql`
  query Me {
    me {
      name
      role
    }
  }
`;

export const runsQuery = gql`
  query Runs($after: String, $filter: RunFilter, $orderBy: RunOrder) {
    runs(first: ${String(runsPageSize)}, after: $after, filter: $filter, orderBy: $orderBy) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { ${runRowFields} } }
    }
  }
`;

export const runQuery = gql`
  query Run($id: ID!) {
    run(id: $id) {
      ${runRowFields}
      modelPack { manifest }
      seed error errorIteration cancelRequested parameters
      provenance { codeVersion workerHost executionProvider }
      parent { id kind status createdAt }
      children { id kind status createdAt }
      iterations { iteration stats { ${statsFields} } }
    }
  }
`;

export const runIdentitiesQuery = gql`
  query RunIdentities($id: ID!, $after: String) {
    run(id: $id) {
      id
      identities(first: ${String(identitiesPageSize)}, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { node { id index imageUrl { url } nearestIdentities(first: 1) { angle identity { id index } } } }
      }
    }
  }
`;

export const runProgressSubscription = gql`
  subscription RunProgress($runId: ID!) {
    runProgress(runId: $runId) { runId status iteration totalIterations error stats { ${statsFields} } }
  }
`;

export const cancelRunMutation = gql`
  mutation CancelRun($id: ID!) {
    cancelRun(id: $id) {
      id
      status
      cancelRequested
    }
  }
`;

export const startLangevinRunMutation = gql`
  mutation StartLangevinRun($input: LangevinRunInput!) {
    startLangevinRun(input: $input) {
      id
      status
    }
  }
`;

export const identityQuery = gql`
  query Identity($id: ID!) {
    identity(id: $id) {
      id
      index
      imageUrl {
        url
      }
      imageSha256
      createdAt
      run {
        id
        kind
        status
      }
      nearestIdentities(first: 8) {
        angle
        identity {
          id
          index
          imageUrl {
            url
          }
        }
      }
    }
    lineage(id: $id) {
      run {
        id
        kind
        status
        seed
        parameters
        createdAt
        provenance {
          codeVersion
          workerHost
          executionProvider
        }
      }
      ancestors {
        id
        kind
        status
        createdAt
      }
      modelPack {
        id
        name
        digest
      }
      prov
    }
  }
`;

export const modelPacksQuery = gql`
  query ModelPacks {
    modelPacks(first: 100) {
      edges {
        node {
          id
          name
          digest
          latentDim
          embeddingDim
          createdAt
          status
          error
          manifest
        }
      }
    }
  }
`;

export const modelPacksPageQuery = gql`
  query ModelPacksPage {
    modelPacks(first: 100) {
      totalCount
      edges {
        node {
          id
          name
          digest
          latentDim
          embeddingDim
          createdAt
          status
          error
        }
      }
    }
  }
`;

export const modelPackStatusSubscription = gql`
  subscription ModelPackStatus($id: ID!) {
    modelPackStatus(id: $id) {
      packId
      status
      error
    }
  }
`;

export const galleriesQuery = gql`
  query Galleries {
    galleries(first: 100) {
      edges {
        node {
          id
          name
          status
          error
          digest
          recognizerDigest
          subjectCount
          impostorPairs
          embeddingDim
          createdAt
        }
      }
    }
  }
`;

export const runUpdatedSubscription = gql`
  subscription RunUpdated {
    runUpdated {
      runId
      status
    }
  }
`;

export const runSamplesQuery = gql`
  query RunSamples($id: ID!) {
    run(id: $id) {
      id
      samples(first: 48) {
        totalCount
        edges {
          node {
            id
            label
            variation
            imageUrl {
              url
            }
            identity {
              id
              index
            }
          }
        }
      }
    }
  }
`;

export const identityVariationsQuery = gql`
  query IdentityVariations($id: ID!) {
    identity(id: $id) {
      id
      samples(first: 48) {
        id
        label
        variation
        imageUrl {
          url
        }
        run {
          id
          kind
        }
      }
    }
  }
`;

export const flaggedPageSize = 24;

export const auditsQuery = gql`
  query Audits {
    leakageAudits(first: 100) {
      edges {
        node {
          id
          status
          scope
          galleryName
          runIds
          threshold
          thresholdAngle
          thresholdSource
          createdAt
          finishedAt
          summary {
            flaggedIdentities
            identitiesAudited
            leakageRate
            flaggedSamples
            samplesAudited
          }
        }
      }
    }
  }
`;

export const auditQuery = gql`
  query Audit($id: ID!) {
    leakageAudit(id: $id) {
      id status scope error galleryName galleryDigest recognizerDigest runIds topK
      threshold thresholdAngle thresholdSource targetFalseMatchRate falseMatchRate
      shardsDone shardCount queryCount createdAt startedAt finishedAt
      summary {
        flaggedIdentities flaggedSamples identitiesAudited samplesAudited leakageRate sampleLeakageRate maxSimilarity
        histogram { binStarts galleryImpostors identityMaxSimilarity }
      }
      matches(first: ${String(flaggedPageSize)}) {
        totalCount
        edges {
          node {
            id similarity distance rank identityId sampleId
            syntheticImageUrl { url } galleryImageUrl { url }
            subject { label row }
          }
        }
      }
    }
  }
`;

export const startDispersionRunMutation = gql`
  mutation StartDispersionRun($input: DispersionRunInput!) {
    startDispersionRun(input: $input) {
      id
      status
    }
  }
`;

export const startDiscoRunMutation = gql`
  mutation StartDiscoRun($input: DispersionRunInput!) {
    startDiscoRun(input: $input) {
      id
      status
    }
  }
`;

/** SUCCEEDED runs, the ones datasets and audits take. */
export const succeededRunsQuery = gql`
  query SucceededRuns {
    runs(first: 100, filter: { status: SUCCEEDED }) {
      edges {
        node {
          id
          kind
          createdAt
          totalIterations
          modelPack {
            id
            name
          }
        }
      }
    }
  }
`;

export const datasetsQuery = gql`
  query Datasets {
    datasets(first: 50) {
      totalCount
      edges {
        node {
          id
          name
          digest
          identityCount
          sampleCount
          createdAt
          manifestUrl
          runs {
            id
            kind
            status
          }
          exports {
            id
            format
            status
            done
            total
            size
            sha256
            error
            options
            createdAt
            finishedAt
            downloadUrl
          }
        }
      }
    }
  }
`;

export const createDatasetMutation = gql`
  mutation CreateDataset($name: String!, $runIds: [ID!]!) {
    createDataset(name: $name, runIds: $runIds) {
      id
    }
  }
`;

export const exportDatasetMutation = gql`
  mutation ExportDataset($datasetId: ID!, $format: ExportFormat!, $options: ExportOptionsInput) {
    exportDataset(datasetId: $datasetId, format: $format, options: $options) {
      id
      status
    }
  }
`;

export const createUploadUrlMutation = gql`
  mutation CreateUploadUrl($fileName: String!) {
    createUploadUrl(fileName: $fileName) {
      key
      url
    }
  }
`;

export const createGalleryMutation = gql`
  mutation CreateGallery($input: GalleryInput!) {
    createGallery(input: $input) {
      id
      status
    }
  }
`;

export const startLeakageAuditMutation = gql`
  mutation StartLeakageAudit($input: LeakageAuditInput!) {
    startLeakageAudit(input: $input) {
      id
    }
  }
`;

export const auditProgressSubscription = gql`
  subscription AuditProgress($auditId: ID!) {
    auditProgress(auditId: $auditId) {
      status
    }
  }
`;

export const rerunWithExclusionMutation = gql`
  mutation RerunWithExclusion($auditId: ID!, $exclusionDistance: Float!) {
    rerunWithExclusion(auditId: $auditId, exclusionDistance: $exclusionDistance) {
      runId
      audit {
        id
      }
    }
  }
`;

export const exportProgressSubscription = gql`
  subscription ExportProgress($id: ID!) {
    exportProgress(id: $id) {
      exportId
      status
      done
      total
      error
    }
  }
`;

export const galleryStatusSubscription = gql`
  subscription GalleryStatus($id: ID!) {
    galleryStatus(id: $id) {
      galleryId
      status
      error
      subjectCount
    }
  }
`;
