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
    me { name role }
  }
`;

export const runsQuery = gql`
  query Runs($after: String, $filter: RunFilter) {
    runs(first: ${String(runsPageSize)}, after: $after, filter: $filter) {
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
    cancelRun(id: $id) { id status cancelRequested }
  }
`;

export const startLangevinRunMutation = gql`
  mutation StartLangevinRun($input: LangevinRunInput!) {
    startLangevinRun(input: $input) { id status }
  }
`;

export const identityQuery = gql`
  query Identity($id: ID!) {
    identity(id: $id) {
      id index imageUrl { url } imageSha256 createdAt
      run { id kind status }
      nearestIdentities(first: 8) { angle identity { id index imageUrl { url } } }
    }
    lineage(id: $id) {
      run { id kind status seed parameters createdAt provenance { codeVersion workerHost executionProvider } }
      ancestors { id kind status createdAt }
      modelPack { id name digest }
      prov
    }
  }
`;

export const modelPacksQuery = gql`
  query ModelPacks {
    modelPacks(first: 200) { edges { node { id name digest latentDim embeddingDim createdAt } } }
  }
`;

export const galleriesQuery = gql`
  query Galleries {
    galleries { id name status error digest recognizerDigest subjectCount impostorPairs embeddingDim createdAt }
  }
`;
