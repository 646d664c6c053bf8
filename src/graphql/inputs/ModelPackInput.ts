import { Field, InputType } from 'type-graphql';

@InputType({ description: 'A file of a model pack, uploaded with createUploadUrl' })
export class PackFileInput {
  @Field(() => String, { description: 'Path of the file inside the pack, as the manifest names it' })
  file!: string;

  @Field(() => String, { description: 'Object key it was uploaded to' })
  key!: string;
}

@InputType({ description: 'A model pack whose manifest and files were uploaded with createUploadUrl' })
export class ModelPackInput {
  @Field(() => String, { description: 'Object key of manifest.json' })
  manifestKey!: string;

  @Field(() => [PackFileInput])
  files!: PackFileInput[];
}
