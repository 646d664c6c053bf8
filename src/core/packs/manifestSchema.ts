import type { JsonSchema } from './jsonSchema.js';

export const packFormat = 'brownian.model-pack/1';

const sha256: JsonSchema = {
  type: 'string',
  pattern: '^[0-9a-f]{64}$',
  description: 'sha256 of the file bytes, lowercase hex',
};

const relativeFile: JsonSchema = {
  type: 'string',
  minLength: 1,
  description: "path of the file relative to the pack folder ('/' separated, no '..')",
};

const tensorName: JsonSchema = { type: 'string', minLength: 1 };

const dimension: JsonSchema = { type: 'integer', minimum: 1 };

const point: JsonSchema = {
  type: 'array',
  items: { type: 'number' },
  minItems: 2,
  maxItems: 2,
  description: '[x, y] in pixels, pixel centres at integers',
};

const fivePoints = (description: string): JsonSchema => ({
  type: 'array',
  items: point,
  minItems: 5,
  maxItems: 5,
  description,
});

const constantInput: JsonSchema = {
  type: 'object',
  description:
    'a generator input held constant for a run: EG3D camera conditioning c, noise buffers, a truncation input. ' +
    'Default values inline or in a float32 file; a run may replace them through its generatorInputs parameter when ' +
    'runParameter names the key',
  required: ['name', 'dims', 'perSample'],
  additionalProperties: false,
  properties: {
    name: { ...tensorName, description: 'the generator input it feeds' },
    dims: {
      type: 'array',
      items: { type: 'integer', minimum: 1 },
      description: 'dims of one sample when perSample, else of the whole input',
    },
    perSample: {
      type: 'boolean',
      description: 'the input has a leading batch axis; every sample gets the same values',
    },
    values: { type: 'array', items: { type: 'number' } },
    file: { ...relativeFile, description: 'float32 values, row-major' },
    sha256,
    runParameter: {
      type: 'string',
      pattern: '^[A-Za-z][A-Za-z0-9_]*$',
      description: 'key of the run parameter generatorInputs that may replace the values, e.g. camera',
    },
  },
};

const pixelRange: JsonSchema = {
  type: 'array',
  items: { type: 'number' },
  minItems: 2,
  maxItems: 2,
  description: '[low, high]: the pixel values of black and of full intensity',
};

/**
 * The manifest's JSON Schema. The code is the source of schema/model-pack.schema.json (a test keeps the
 * two equal) and the validator interprets it, so the published schema and the checks cannot drift.
 */
export const modelPackSchema: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'Brownian model pack manifest (manifest.json)',
  description:
    'A generator (w -> image), its mapping network (z -> w), an alignment step and a face-recognition network ' +
    '(aligned image -> embedding), with w_avg, the default truncation and optional covariate directions. Vector files ' +
    'hold little-endian float32 values. The pack digest is the sha256 of this manifest serialised as canonical JSON ' +
    '(keys sorted, no whitespace).',
  type: 'object',
  required: [
    'format',
    'name',
    'latentDim',
    'embeddingDim',
    'mapping',
    'generator',
    'alignment',
    'recognizer',
    'wAvg',
    'truncation',
  ],
  additionalProperties: false,
  properties: {
    format: { const: packFormat },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    description: { type: 'string' },
    latentDim: { ...dimension, description: 'W: the dimension of the latent w that the generator takes' },
    embeddingDim: { ...dimension, description: 'dimension of the recognizer embedding' },
    mapping: {
      type: 'object',
      description: 'mapping network z -> w, input [batch, zDim], output [batch, latentDim]',
      required: ['file', 'sha256', 'input', 'output', 'zDim'],
      additionalProperties: false,
      properties: { file: relativeFile, sha256, input: tensorName, output: tensorName, zDim: dimension },
    },
    generator: {
      type: 'object',
      description: 'synthesis network w -> image, input [batch, latentDim], output [batch, channels, height, width]',
      required: ['file', 'sha256', 'input', 'output', 'layout', 'channels', 'height', 'width', 'pixelRange'],
      additionalProperties: false,
      properties: {
        file: relativeFile,
        sha256,
        input: tensorName,
        output: tensorName,
        layout: { enum: ['NCHW'] },
        channels: dimension,
        height: dimension,
        width: dimension,
        pixelRange: { ...pixelRange, description: 'pixel range of the generator output, e.g. [-1, 1]' },
        numWs: {
          ...dimension,
          description:
            'w+ synthesis networks (StyleGAN2/3 G.synthesis): the input is [batch, numWs, latentDim]; the one w a run ' +
            'evolves is broadcast to every layer inside the differentiated graph',
        },
        batch: {
          ...dimension,
          description:
            'the export runs at this batch size only (fused modulated convolutions exported as grouped Conv with ' +
            'group = batch); the pack then always runs at this batch. Re-export with fused_modconv=False to lift it',
        },
        constantInputs: { type: 'array', items: constantInput },
      },
    },
    alignment: {
      type: 'object',
      description:
        'generator image to recognizer input: either a crop box in generator pixels resized (half-pixel centres, ' +
        'antialiased triangle filter) to outputSize, or a similarity transform taking five fixed landmarks onto a ' +
        'template, sampled bilinearly (taps outside the image read 0 in the recognizer range); then an affine map of the pixel range',
      required: ['outputSize', 'pixelRange'],
      additionalProperties: false,
      properties: {
        crop: {
          type: 'object',
          required: ['x', 'y', 'width', 'height'],
          additionalProperties: false,
          properties: {
            x: { type: 'integer', minimum: 0, description: 'left column' },
            y: { type: 'integer', minimum: 0, description: 'top row' },
            width: dimension,
            height: dimension,
          },
        },
        landmarks: {
          type: 'object',
          description:
            'similarity alignment (least-squares rotation, scale and shift, as insightface norm_crop): the five ' +
            'points of the generator images onto the template',
          required: ['points', 'template'],
          additionalProperties: false,
          properties: {
            points: fivePoints('left eye, right eye, nose tip, left and right mouth corners, in generator pixels'),
            template: {
              oneOf: [
                { const: 'arcface', description: "ArcFace's 112×112 five-point template, scaled to outputSize" },
                fivePoints('the five target points in output pixels'),
              ],
            },
          },
        },
        outputSize: {
          type: 'object',
          description: "the recognizer's input height and width",
          required: ['width', 'height'],
          additionalProperties: false,
          properties: { width: dimension, height: dimension },
        },
        pixelRange: { ...pixelRange, description: 'pixel range the recognizer expects, e.g. [-1, 1] or [0, 255]' },
      },
    },
    recognizer: {
      type: 'object',
      description:
        'face recognizer, input [batch, channels, outputSize.height, outputSize.width] (NHWC: channels last), output ' +
        '[batch, embeddingDim]. Its preprocessing follows the pixel-range map: channel order, then (x - mean) / std per channel',
      required: ['file', 'sha256', 'input', 'output'],
      additionalProperties: false,
      properties: {
        file: relativeFile,
        sha256,
        input: tensorName,
        output: tensorName,
        channelOrder: {
          enum: ['RGB', 'BGR'],
          description: 'channel order the recognizer expects; the generator gives RGB. Default RGB',
        },
        normalization: {
          type: 'object',
          description:
            'per-channel (x - mean) / std in the recognizer channel order; insightface: pixelRange [0, 255], mean 127.5, std 127.5',
          required: ['mean', 'std'],
          additionalProperties: false,
          properties: {
            mean: { type: 'array', items: { type: 'number' }, minItems: 1 },
            std: { type: 'array', items: { type: 'number' }, minItems: 1 },
          },
        },
        layout: { enum: ['NCHW', 'NHWC'], description: 'input layout. Default NCHW' },
        outputNormalized: {
          type: 'boolean',
          description: 'the embedding already has unit norm (checked at load). Default false',
        },
      },
    },
    wAvg: {
      description: 'the average latent w (latentDim values): a float32 file or inline values',
      oneOf: [
        {
          type: 'object',
          required: ['file', 'sha256'],
          additionalProperties: false,
          properties: { file: relativeFile, sha256 },
        },
        {
          type: 'object',
          required: ['values'],
          additionalProperties: false,
          properties: { values: { type: 'array', items: { type: 'number' }, minItems: 1 } },
        },
      ],
    },
    truncation: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      description: 'default truncation psi of initial latents, w = w_avg + psi (M(z) - w_avg); 0.7 is usual',
    },
    covariates: {
      type: 'array',
      description: 'DisCo covariate directions in latent space (pose, illumination, expression, ...)',
      items: {
        type: 'object',
        required: ['name', 'file', 'sha256', 'scale'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 1 },
          file: { ...relativeFile, description: 'float32 direction of latentDim values' },
          sha256,
          scale: { type: 'number', exclusiveMinimum: 0 },
        },
      },
    },
    dispersion: {
      type: 'object',
      description:
        "Dispersion defaults where the paper's do not suit this pack's latent space; a run's input still wins",
      additionalProperties: false,
      properties: {
        latentRadius: {
          type: 'number',
          exclusiveMinimum: 0,
          description: 'r0, Euclidean radius of the latent repulsion (paper: 12 for 512-d W)',
        },
        initialNoise: { type: 'number', minimum: 0, description: 'sigma of the initial variations (paper: 0.2)' },
        embeddingCoefficient: { type: 'number', minimum: 0, description: 'k_e (paper: 20)' },
        latentCoefficient: { type: 'number', minimum: 0, description: 'k_w (paper: 1)' },
        globalCoefficient: { type: 'number', minimum: 0, description: 'k_g (paper: 1)' },
        randomForce: { type: 'number', minimum: 0, description: 'eta (paper: 0.05)' },
        timestep: { type: 'number', description: 'positive: fixed step; negative: adaptive (paper: 0.05)' },
      },
    },
  },
};

export function modelPackSchemaJson(): string {
  return `${JSON.stringify(modelPackSchema, null, 2)}\n`;
}
