import { Field, InputType, Int } from 'type-graphql';
import { ExportContentEnum, ExportCropEnum } from '../types/enums.js';

@InputType({
  description: 'What an export holds; fields left out: aligned crops of the samples, 1000 images per WebDataset shard',
})
export class ExportOptionsInput {
  @Field(() => ExportCropEnum, { nullable: true })
  crop?: ExportCropEnum;

  @Field(() => ExportContentEnum, { nullable: true })
  content?: ExportContentEnum;

  @Field(() => Int, { nullable: true, description: 'WEBDATASET: images per tar shard' })
  shardSize?: number;
}
