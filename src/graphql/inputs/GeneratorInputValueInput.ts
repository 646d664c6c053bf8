import { Field, Float, InputType } from 'type-graphql';

@InputType({
  description:
    "Values for one of the model pack's constant generator inputs that runs may set (its manifest's runParameter), e.g. EG3D's camera",
})
export class GeneratorInputValueInput {
  @Field(() => String, { description: 'The runParameter key the pack declares, e.g. "camera"' })
  name!: string;

  @Field(() => [Float], { description: "One sample's values, as many as the input's dims hold (25 for EG3D's camera)" })
  values!: number[];
}
